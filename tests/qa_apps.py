"""Two small business applications for the repo-QA analysis and recipe, with the truth the
tests assert against: a Spring-style Java shop (controllers → service interfaces + impls
→ MyBatis mappers + XML, an order status enum with guarded transitions, @Transactional)
and a Flask-style Python library (routes and a click command → services → SQLAlchemy)."""

J = "src/main/java/com/shop/"

SHOP = {
    "pom.xml": "<project><artifactId>shop</artifactId></project>\n",
    J + "common/ApiException.java": (
        "package com.shop.common;\n\n"
        "public class ApiException extends RuntimeException {\n"
        "    public ApiException(String message) {\n        super(message);\n    }\n}\n"
    ),
    J + "order/model/OrderStatus.java": (
        "package com.shop.order.model;\n\n"
        "public enum OrderStatus {\n    CREATED,\n    PAID,\n    CANCELLED\n}\n"
    ),
    J + "order/model/Order.java": (
        "package com.shop.order.model;\n\n"
        "public class Order {\n"
        "    private Long id;\n    private Long productId;\n    private int quantity;\n"
        "    private OrderStatus status;\n\n"
        "    public Long getId() { return id; }\n"
        "    public void setId(Long id) { this.id = id; }\n"
        "    public Long getProductId() { return productId; }\n"
        "    public void setProductId(Long productId) { this.productId = productId; }\n"
        "    public int getQuantity() { return quantity; }\n"
        "    public void setQuantity(int quantity) { this.quantity = quantity; }\n"
        "    public OrderStatus getStatus() { return status; }\n"
        "    public void setStatus(OrderStatus status) { this.status = status; }\n"
        "}\n"
    ),
    J + "order/dto/OrderParam.java": (
        "package com.shop.order.dto;\n\n"
        "public class OrderParam {\n    private Long productId;\n    private int quantity;\n\n"
        "    public Long getProductId() { return productId; }\n"
        "    public int getQuantity() { return quantity; }\n}\n"
    ),
    J + "order/controller/OrderController.java": (
        "package com.shop.order.controller;\n\n"
        "import com.shop.order.dto.OrderParam;\n"
        "import com.shop.order.model.Order;\n"
        "import com.shop.order.service.OrderService;\n"
        "import java.util.List;\n"
        "import org.springframework.beans.factory.annotation.Autowired;\n"
        "import org.springframework.web.bind.annotation.*;\n\n"
        "@RestController\n"
        '@RequestMapping("/order")\n'
        "public class OrderController {\n"
        "    @Autowired\n"
        "    private OrderService orderService;\n\n"
        '    @PostMapping("/create")\n'
        "    public Order create(@RequestBody OrderParam param) {\n"
        "        return orderService.create(param);\n"
        "    }\n\n"
        '    @PostMapping("/pay/{id}")\n'
        "    public void pay(@PathVariable Long id) {\n"
        "        orderService.pay(id);\n"
        "    }\n\n"
        '    @RequestMapping(value = "/cancel/{id}", method = RequestMethod.POST)\n'
        "    public void cancel(@PathVariable Long id) {\n"
        "        orderService.cancel(id);\n"
        "    }\n\n"
        '    @GetMapping("/list")\n'
        "    public List<Order> list() {\n"
        "        return orderService.list();\n"
        "    }\n"
        "}\n"
    ),
    J + "order/service/OrderService.java": (
        "package com.shop.order.service;\n\n"
        "import com.shop.order.dto.OrderParam;\n"
        "import com.shop.order.model.Order;\n"
        "import java.util.List;\n\n"
        "public interface OrderService {\n"
        "    Order create(OrderParam param);\n\n"
        "    void pay(Long id);\n\n"
        "    void cancel(Long id);\n\n"
        "    List<Order> list();\n"
        "}\n"
    ),
    J + "order/service/impl/OrderServiceImpl.java": (
        "package com.shop.order.service.impl;\n\n"
        "import com.shop.common.ApiException;\n"
        "import com.shop.order.dto.OrderParam;\n"
        "import com.shop.order.mapper.OrderMapper;\n"
        "import com.shop.order.model.Order;\n"
        "import com.shop.order.model.OrderStatus;\n"
        "import com.shop.order.service.OrderService;\n"
        "import com.shop.product.mapper.ProductMapper;\n"
        "import com.shop.product.model.Product;\n"
        "import java.util.List;\n"
        "import org.springframework.beans.factory.annotation.Autowired;\n"
        "import org.springframework.stereotype.Service;\n"
        "import org.springframework.transaction.annotation.Transactional;\n\n"
        "@Service\n"
        "public class OrderServiceImpl implements OrderService {\n"
        "    private static final int MAX_QUANTITY = 99;\n\n"
        "    @Autowired\n"
        "    private OrderMapper orderMapper;\n"
        "    private final ProductMapper productMapper;\n\n"
        "    public OrderServiceImpl(ProductMapper productMapper) {\n"
        "        this.productMapper = productMapper;\n"
        "    }\n\n"
        "    @Override\n"
        "    @Transactional\n"
        "    public Order create(OrderParam param) {\n"
        "        if (param.getQuantity() <= 0 || param.getQuantity() > MAX_QUANTITY) {\n"
        '            throw new ApiException("quantity out of range");\n'
        "        }\n"
        "        Product product = productMapper.selectById(param.getProductId());\n"
        "        if (product == null) {\n"
        '            throw new ApiException("product not found");\n'
        "        }\n"
        "        Order order = new Order();\n"
        "        order.setProductId(param.getProductId());\n"
        "        order.setQuantity(param.getQuantity());\n"
        "        order.setStatus(OrderStatus.CREATED);\n"
        "        orderMapper.insert(order);\n"
        "        return order;\n"
        "    }\n\n"
        "    @Override\n"
        "    @Transactional\n"
        "    public void pay(Long id) {\n"
        "        Order order = orderMapper.selectById(id);\n"
        "        if (order.getStatus() != OrderStatus.CREATED) {\n"
        '            throw new ApiException("order is not awaiting payment");\n'
        "        }\n"
        "        order.setStatus(OrderStatus.PAID);\n"
        "        orderMapper.updateStatus(order);\n"
        "    }\n\n"
        "    @Override\n"
        "    public void cancel(Long id) {\n"
        "        Order order = orderMapper.selectById(id);\n"
        "        if (order.getStatus() == OrderStatus.PAID) {\n"
        '            throw new ApiException("a paid order cannot be cancelled");\n'
        "        }\n"
        "        order.setStatus(OrderStatus.CANCELLED);\n"
        "        orderMapper.updateStatus(order);\n"
        "    }\n\n"
        "    @Override\n"
        "    public List<Order> list() {\n"
        "        return orderMapper.selectAll();\n"
        "    }\n"
        "}\n"
    ),
    J + "order/mapper/OrderMapper.java": (
        "package com.shop.order.mapper;\n\n"
        "import com.shop.order.model.Order;\n"
        "import java.util.List;\n"
        "import org.apache.ibatis.annotations.Mapper;\n\n"
        "@Mapper\n"
        "public interface OrderMapper {\n"
        "    int insert(Order order);\n\n"
        "    Order selectById(Long id);\n\n"
        "    int updateStatus(Order order);\n\n"
        "    List<Order> selectAll();\n"
        "}\n"
    ),
    "src/main/resources/mapper/OrderMapper.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mapper namespace="com.shop.order.mapper.OrderMapper">\n'
        '    <insert id="insert">\n'
        "        INSERT INTO orders (product_id, quantity, status)\n"
        "        VALUES (#{productId}, #{quantity}, #{status})\n"
        "    </insert>\n"
        '    <select id="selectById" resultType="com.shop.order.model.Order">\n'
        "        SELECT * FROM orders WHERE id = #{id}\n"
        "    </select>\n"
        '    <update id="updateStatus">\n'
        "        UPDATE orders SET status = #{status} WHERE id = #{id}\n"
        "    </update>\n"
        '    <select id="selectAll" resultType="com.shop.order.model.Order">\n'
        "        SELECT * FROM orders\n"
        "    </select>\n"
        "</mapper>\n"
    ),
    J + "product/model/Product.java": (
        "package com.shop.product.model;\n\n"
        "public class Product {\n    private Long id;\n    private String name;\n\n"
        "    public Long getId() { return id; }\n"
        "    public String getName() { return name; }\n}\n"
    ),
    J + "product/mapper/ProductMapper.java": (
        "package com.shop.product.mapper;\n\n"
        "import com.shop.product.model.Product;\n\n"
        "public interface ProductMapper {\n    Product selectById(Long id);\n}\n"
    ),
    "src/main/resources/mapper/ProductMapper.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<mapper namespace="com.shop.product.mapper.ProductMapper">\n'
        '    <select id="selectById" resultType="com.shop.product.model.Product">\n'
        "        SELECT * FROM product WHERE id = #{id}\n"
        "    </select>\n"
        "</mapper>\n"
    ),
    J + "product/service/ProductService.java": (
        "package com.shop.product.service;\n\n"
        "import com.shop.product.model.Product;\n\n"
        "public interface ProductService {\n    Product get(Long id);\n}\n"
    ),
    J + "product/service/impl/ProductServiceImpl.java": (
        "package com.shop.product.service.impl;\n\n"
        "import com.shop.product.mapper.ProductMapper;\n"
        "import com.shop.product.model.Product;\n"
        "import com.shop.product.service.ProductService;\n"
        "import org.springframework.beans.factory.annotation.Autowired;\n"
        "import org.springframework.stereotype.Service;\n\n"
        "@Service\n"
        "public class ProductServiceImpl implements ProductService {\n"
        "    @Autowired\n"
        "    private ProductMapper productMapper;\n\n"
        "    @Override\n"
        "    public Product get(Long id) {\n"
        "        return productMapper.selectById(id);\n"
        "    }\n"
        "}\n"
    ),
    J + "product/controller/ProductController.java": (
        "package com.shop.product.controller;\n\n"
        "import com.shop.product.model.Product;\n"
        "import com.shop.product.service.ProductService;\n"
        "import org.springframework.beans.factory.annotation.Autowired;\n"
        "import org.springframework.web.bind.annotation.*;\n\n"
        "@RestController\n"
        "public class ProductController {\n"
        "    @Autowired\n"
        "    private ProductService productService;\n\n"
        '    @GetMapping("/product/{id}")\n'
        "    public Product get(@PathVariable Long id) {\n"
        "        return productService.get(id);\n"
        "    }\n"
        "}\n"
    ),
    "src/test/java/com/shop/order/OrderServiceTest.java": (
        "package com.shop.order;\n\n"
        "import org.junit.jupiter.api.Test;\n\n"
        "public class OrderServiceTest {\n"
        "    @Test\n    public void createsAnOrder() {\n    }\n}\n"
    ),
}

# The truth about SHOP, as the analysis must find it.
SHOP_ENDPOINTS = {
    ("POST", "/order/create"): "OrderController.create",
    ("POST", "/order/pay/{id}"): "OrderController.pay",
    ("POST", "/order/cancel/{id}"): "OrderController.cancel",
    ("GET", "/order/list"): "OrderController.list",
    ("GET", "/product/{id}"): "ProductController.get",
}
# endpoint method -> the data-access statements its flow reaches (mapper.method)
SHOP_FLOW_DATA_ACCESS = {
    "OrderController.create": {"ProductMapper.selectById", "OrderMapper.insert"},
    "OrderController.pay": {"OrderMapper.selectById", "OrderMapper.updateStatus"},
    "OrderController.cancel": {"OrderMapper.selectById", "OrderMapper.updateStatus"},
    "OrderController.list": {"OrderMapper.selectAll"},
    "ProductController.get": {"ProductMapper.selectById"},
}
# status transitions: (method, the value set, the guard's condition text)
SHOP_TRANSITIONS = {
    ("OrderServiceImpl.create", "OrderStatus.CREATED"),
    ("OrderServiceImpl.pay", "OrderStatus.PAID"),
    ("OrderServiceImpl.cancel", "OrderStatus.CANCELLED"),
}
SHOP_GUARDS = {
    ("OrderServiceImpl.create", "param.getQuantity() <= 0 || param.getQuantity() > MAX_QUANTITY"),
    ("OrderServiceImpl.create", "product == null"),
    ("OrderServiceImpl.pay", "order.getStatus() != OrderStatus.CREATED"),
    ("OrderServiceImpl.cancel", "order.getStatus() == OrderStatus.PAID"),
}
SHOP_TRANSACTIONAL = {"OrderServiceImpl.create", "OrderServiceImpl.pay"}

LIBRARY = {
    "pyproject.toml": "[project]\nname = 'library'\n",
    "library/__init__.py": "",
    "library/db.py": ("from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"),
    "library/models.py": (
        "import enum\n\n"
        "from library.db import db\n\n\n"
        "class BookStatus(enum.Enum):\n"
        '    AVAILABLE = "available"\n'
        '    LOANED = "loaned"\n\n\n'
        "class Book(db.Model):\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "    title = db.Column(db.String)\n"
        "    status = db.Column(db.Enum(BookStatus))\n"
    ),
    "library/errors.py": (
        "class NotFound(Exception):\n    pass\n\n\nclass Conflict(Exception):\n    pass\n"
    ),
    "library/repository.py": (
        "from library.db import db\n"
        "from library.models import Book, BookStatus\n\n\n"
        "def get_book(book_id):\n"
        "    return db.session.get(Book, book_id)\n\n\n"
        "def save(book):\n"
        "    db.session.add(book)\n\n\n"
        "def loaned_books():\n"
        "    return db.session.query(Book).filter(Book.status == BookStatus.LOANED).all()\n"
    ),
    "library/services.py": (
        "from library import repository\n"
        "from library.db import db\n"
        "from library.errors import Conflict, NotFound\n"
        "from library.models import BookStatus\n\n\n"
        "def borrow_book(book_id):\n"
        "    book = repository.get_book(book_id)\n"
        "    if book is None:\n"
        '        raise NotFound("no such book")\n'
        "    if book.status != BookStatus.AVAILABLE:\n"
        '        raise Conflict("the book is on loan")\n'
        "    with db.session.begin():\n"
        "        book.status = BookStatus.LOANED\n"
        "        repository.save(book)\n"
        "    return book\n\n\n"
        "def return_book(book_id):\n"
        "    book = repository.get_book(book_id)\n"
        "    if book is None:\n"
        '        raise NotFound("no such book")\n'
        "    book.status = BookStatus.AVAILABLE\n"
        "    repository.save(book)\n"
        "    return book\n\n\n"
        "def overdue_titles():\n"
        "    return [book.title for book in repository.loaned_books()]\n"
    ),
    "library/routes.py": (
        "from flask import Blueprint, jsonify\n\n"
        "from library import services\n\n"
        'bp = Blueprint("loans", __name__)\n\n\n'
        '@bp.route("/loans/<int:book_id>", methods=["POST"])\n'
        "def borrow(book_id):\n"
        "    book = services.borrow_book(book_id)\n"
        '    return jsonify({"id": book.id})\n\n\n'
        '@bp.post("/returns/<int:book_id>")\n'
        "def give_back(book_id):\n"
        "    services.return_book(book_id)\n"
        '    return jsonify({"ok": True})\n'
    ),
    "library/cli.py": (
        "import click\n\n"
        "from library.services import overdue_titles\n\n\n"
        "@click.command()\n"
        "def overdue():\n"
        "    for title in overdue_titles():\n"
        "        click.echo(title)\n"
    ),
    "tests/test_services.py": (
        "from library import services\n\n\n"
        "def test_borrow_unknown_book():\n"
        "    assert services is not None\n"
    ),
}

LIBRARY_ENDPOINTS = {
    ("POST", "/loans/<int:book_id>"): "borrow",
    ("POST", "/returns/<int:book_id>"): "give_back",
}
LIBRARY_CLI = {"overdue"}
LIBRARY_FLOW_DATA_ACCESS = {
    "borrow": {"get_book", "save"},
    "give_back": {"get_book", "save"},
    "overdue": {"loaned_books"},
}
LIBRARY_TRANSITIONS = {
    ("borrow_book", "BookStatus.LOANED"),
    ("return_book", "BookStatus.AVAILABLE"),
}
LIBRARY_GUARDS = {
    ("borrow_book", "book is None"),
    ("borrow_book", "book.status != BookStatus.AVAILABLE"),
    ("return_book", "book is None"),
}
LIBRARY_TRANSACTIONAL = {"borrow_book"}
