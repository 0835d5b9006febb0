"""Roles, MyBatis statements and rules of the business-logic analysis, on the two fixture
applications of qa_apps.py (against their truth) and on small extra fixtures for the
other frameworks each rule table knows."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from repomill.code.analysis.model import Role, node_id
from repomill.code.analysis.mybatis import mapper_statements
from repomill.code.analysis.roles import assign_roles, why_test_file
from repomill.code.analysis.rules import find_rules
from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.sources import open_source

from .conftest import make_repo
from .qa_apps import (
    LIBRARY,
    LIBRARY_CLI,
    LIBRARY_ENDPOINTS,
    LIBRARY_GUARDS,
    LIBRARY_TRANSACTIONAL,
    LIBRARY_TRANSITIONS,
    SHOP,
    SHOP_ENDPOINTS,
    SHOP_GUARDS,
    SHOP_TRANSACTIONAL,
    SHOP_TRANSITIONS,
)

A = "src/main/java/com/acme/"
EXTRA = {
    "pom.xml": "<project/>\n",
    "api/main.py": dedent(
        """\
        from fastapi import APIRouter, FastAPI

        app = FastAPI()
        router = APIRouter(prefix="/items")


        @app.get("/health")
        def health():
            return {"ok": True}


        @router.post("/")
        def create_item(item):
            return item


        @router.delete("/{item_id}")
        async def delete_item(item_id: int):
            return None
        """
    ),
    "api/schemas.py": "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str\n",
    "tool/cli.py": dedent(
        """\
        import click
        import typer

        app = typer.Typer()


        @click.group()
        def cli():
            pass


        @cli.command("sync-all")
        def sync_all():
            pass


        @app.command()
        def import_data():
            pass
        """
    ),
    "tool/tasks.py": "from celery import shared_task\n\n\n@shared_task\ndef send_mail(to):\n    return to\n",
    "tool/jobs.py": dedent(
        """\
        scheduler = BackgroundScheduler()


        def cleanup():
            pass


        scheduler.add_job(cleanup, "interval", hours=1)
        """
    ),
    "tool/args.py": dedent(
        """\
        import argparse


        def run_report(args):
            print(args)


        def main():
            parser = argparse.ArgumentParser()
            report = parser.add_subparsers().add_parser("report")
            report.set_defaults(func=run_report)
        """
    ),
    "shop/urls.py": dedent(
        """\
        from django.urls import path

        from shop import views
        from shop.views import BookDetail

        urlpatterns = [
            path("books/", views.book_list),
            path("books/<int:pk>/", BookDetail.as_view()),
        ]
        """
    ),
    "shop/views.py": dedent(
        """\
        from django.views import View

        from shop.models import Book


        def book_list(request):
            return list(Book.objects.all())


        class BookDetail(View):
            def get(self, request, pk):
                return Book.objects.get(pk=pk)
        """
    ),
    "shop/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    pass\n",
    "lib/store.py": dedent(
        """\
        import threading

        from django.db import transaction

        MAX_LOANS = 3
        lock = threading.Lock()


        def fetch(conn):
            cur = conn.cursor()
            cur.execute("SELECT * FROM t")
            return cur.fetchall()


        @transaction.atomic
        def move(count):
            if count > MAX_LOANS:
                raise ValueError("too many")
            with lock:
                Account.objects.select_for_update().get(pk=1)
        """
    ),
    "app/settings.py": "DEBUG = True\n\n\ndef load():\n    return DEBUG\n",
    "web/app.js": dedent(
        """\
        const express = require('express');
        const app = express();
        const router = express.Router();

        function listUsers(req, res) {
          res.json([]);
        }

        const createUser = (req, res) => {
          if (!req.body.name) {
            return res.status(400).send('name');
          }
          res.json(req.body);
        };

        app.get('/users', listUsers);
        router.post('/users', auth, createUser);
        axios.get('/external', listUsers);
        app.use('/api', router);
        """
    ),
    "rs/src/main.rs": dedent(
        """\
        use clap::Parser;

        /// The command line.
        #[derive(Parser, Debug)]
        struct Cli {
            name: String,
        }

        fn main() {}
        """
    ),
    "go/main.go": 'package main\n\nfunc ping(c *Context) {}\n\nfunc main() {\n\tr.GET("/ping", ping)\n}\n',
    A + "repo/UserRepository.java": dedent(
        """\
        package com.acme.repo;

        import org.springframework.data.jpa.repository.JpaRepository;

        public interface UserRepository extends JpaRepository<User, Long> {
            List<User> findByName(String name);
        }
        """
    ),
    A
    + "entity/User.java": "package com.acme.entity;\n\n@Entity\npublic class User {\n    private Long id;\n}\n",
    A
    + "config/AppConfig.java": "package com.acme.config;\n\n@Configuration\npublic class AppConfig {\n}\n",
    A + "job/CleanupJob.java": dedent(
        """\
        package com.acme.job;

        @Component
        public class CleanupJob {
            @Scheduled(cron = "0 0 * * * *")
            public void run() {
                helper();
            }

            public void helper() {
            }
        }
        """
    ),
    A + "listener/OrderListener.java": dedent(
        """\
        package com.acme.listener;

        @Component
        public class OrderListener {
            @KafkaListener(topics = "orders")
            public void onOrder(String message) {
            }
        }
        """
    ),
    A + "rest/UserResource.java": dedent(
        """\
        package com.acme.rest;

        @Path("/users")
        public class UserResource {
            @GET
            @Path("/{id}")
            public String get(@PathParam("id") long id) {
                return "";
            }

            @POST
            public String create(String body) {
                return body;
            }
        }
        """
    ),
    A + "mapper/AccountMapper.java": dedent(
        """\
        package com.acme.mapper;

        import org.apache.ibatis.annotations.*;

        @Mapper
        public interface AccountMapper {
            @Select("SELECT * FROM account WHERE id = #{id} FOR UPDATE")
            Account lockById(Long id);

            @Update({"UPDATE account", "SET balance = #{b}"})
            int update(Long id, long b);

            Account withColumns(Long id);
        }
        """
    ),
    "src/main/resources/mapper/AccountMapper.xml": dedent(
        """\
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE mapper PUBLIC "-//mybatis.org//DTD Mapper 3.0//EN"
            "http://mybatis.org/dtd/mybatis-3-mapper.dtd">
        <mapper namespace="com.acme.mapper.AccountMapper">
            <sql id="cols">id, name</sql>
            <select id="withColumns">
                SELECT <include refid="cols"/> FROM account
            </select>
        </mapper>
        """
    ),
    "src/main/resources/mapper/Broken.xml": '<mapper namespace="a.B">\n<select id="x">SELECT 1\n</mapper>\n',
    "src/main/resources/mapper/Entities.xml": (
        '<!DOCTYPE mapper [<!ENTITY a "aaaa">]>\n<mapper namespace="x.Y">&a;</mapper>\n'
    ),
    "src/main/resources/mapper/NoNamespace.xml": '<mapper>\n<select id="x">SELECT 1</select>\n</mapper>\n',
    "src/main/resources/mapper/Missing.xml": (
        '<mapper namespace="com.acme.mapper.Missing">\n<select id="x">SELECT 1</select>\n</mapper>\n'
    ),
    A + "service/WalletService.java": dedent(
        """\
        package com.acme.service;

        @Service
        @Transactional
        public class WalletService {
            private static final int LIMIT = 5;

            public synchronized CommonResult debit(Account account, long amount, boolean risky) {
                if (amount <= 0) {
                    Asserts.fail("amount must be positive");
                }
                Assert.notNull(account, "no account");
                if (account.getBalance() < amount) {
                    return CommonResult.failed("balance too low");
                }
                if (amount > LIMIT) throw new IllegalStateException("over the limit");
                if (risky) {
                    account.setState(AccountState.FROZEN);
                }
                Boolean first = redisTemplate.opsForValue().setIfAbsent("debit:" + account.getId(), "1");
                log.error("debited");
                return CommonResult.success(null);
            }

            public void checkIdempotency(String key) {
            }
        }
        """
    ),
}


class Analysed:
    def __init__(self, root: Path, files: dict[str, str]):
        self.files = files
        self.index = build_index(
            open_source(make_repo(root, files)), IndexConfig(workers=1), None, show_progress=False
        ).index
        self.read = lambda path: (root / path).read_bytes()
        self.statements, self.skipped = mapper_statements(list(files), self.read, self.index)
        self.roles = assign_roles(self.index, self.read, self.statements)
        self.rules = find_rules(self.index, self.read, self.statements)

    def role(self, path: str, qualname: str) -> Role:
        return self.roles[node_id(path, qualname)]

    def endpoints(self, kind: str = "http") -> dict[tuple[str, str], str]:
        return {
            (r.http_method, r.route): qualname(r) for r in self.roles.values() if r.kind == kind
        }

    def rules_of(self, kind: str) -> list:
        return [r for r in self.rules if r.kind == kind]


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Analysed:
    return Analysed(tmp_path_factory.mktemp("shop"), SHOP)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Analysed:
    return Analysed(tmp_path_factory.mktemp("library"), LIBRARY)


@pytest.fixture(scope="module")
def extra(tmp_path_factory) -> Analysed:
    return Analysed(tmp_path_factory.mktemp("extra"), EXTRA)


J = "src/main/java/com/shop/"


def qualname(rule) -> str:
    return rule.node.split("::")[1]


# --- roles ---------------------------------------------------------------------------


def test_shop_endpoints_are_the_spring_mappings(shop):
    assert shop.endpoints() == SHOP_ENDPOINTS
    cancel = shop.role(J + "order/controller/OrderController.java", "OrderController.cancel")
    assert cancel.rule == "@RequestMapping" and cancel.role == "entry_point"


def test_shop_layers(shop):
    mapper = shop.role(J + "order/mapper/OrderMapper.java", "OrderMapper.updateStatus")
    assert (mapper.role, mapper.kind, mapper.rule) == (
        "data_access",
        "mybatis_mapper",
        "inherited @Mapper",
    )
    product_mapper = shop.role(J + "product/mapper/ProductMapper.java", "ProductMapper")
    assert (product_mapper.kind, product_mapper.rule) == ("mybatis_mapper", "mapper XML namespace")
    service = shop.role(J + "order/service/impl/OrderServiceImpl.java", "OrderServiceImpl.pay")
    assert (service.role, service.rule) == ("service", "inherited @Service")
    assert shop.role(J + "order/service/OrderService.java", "OrderService").rule == "name *Service"
    for path, name in (
        ("order/model/Order.java", "Order"),
        ("product/model/Product.java", "Product"),
    ):
        assert shop.role(J + path, name).role == "entity"
    assert shop.role(J + "order/dto/OrderParam.java", "OrderParam").rule == "package dto"
    test = shop.role(
        "src/test/java/com/shop/order/OrderServiceTest.java", "OrderServiceTest.createsAnOrder"
    )
    assert test.role == "test"


def test_library_roles(library):
    assert library.endpoints() == LIBRARY_ENDPOINTS
    assert {qualname(r) for r in library.roles.values() if r.kind == "cli"} == LIBRARY_CLI
    for name in ("get_book", "save", "loaned_books"):
        role = library.role("library/repository.py", name)
        assert (role.role, role.kind) == ("data_access", "orm") and role.rule.startswith(
            "calls db.session."
        )
    assert library.role("library/models.py", "Book") == Role(
        node_id("library/models.py", "Book"), "entity", "orm_model", "extends db.Model"
    )
    borrow_book = library.role("library/services.py", "borrow_book")
    assert (borrow_book.role, borrow_book.rule) == (
        "service",
        "module services",
    )  # begin() is no query
    assert library.role("tests/test_services.py", "test_borrow_unknown_book").rule == "path tests/"


def test_roles_are_deterministic(library, tmp_path):
    again = Analysed(tmp_path / "again", LIBRARY)
    assert list(again.roles.items()) == list(library.roles.items())


def test_http_frameworks(extra):
    http = {(r.http_method, r.route, qualname(r)) for r in extra.roles.values() if r.kind == "http"}
    assert http == {
        ("GET", "/health", "health"),
        ("POST", "/items/", "create_item"),
        ("DELETE", "/items/{item_id}", "delete_item"),
        ("GET", "/users", "listUsers"),
        ("POST", "/users", "createUser"),
        ("ANY", "books/", "book_list"),
        ("ANY", "books/<int:pk>/", "BookDetail"),
        ("GET", "books/<int:pk>/", "BookDetail.get"),  # a class-based view's method
        ("GET", "/users/{id}", "UserResource.get"),
        ("POST", "/users", "UserResource.create"),
        ("GET", "/ping", "ping"),
    }
    assert extra.role("api/main.py", "health").rule == "@app.get"
    assert extra.role("web/app.js", "listUsers").rule == "app.get()"
    assert extra.role("shop/views.py", "book_list").rule == "path()"  # over its ORM call


def test_cli_and_jobs(extra):
    cli = {(qualname(r), r.route, r.rule) for r in extra.roles.values() if r.kind == "cli"}
    assert cli == {
        ("cli", "cli", "@click.group"),
        ("sync_all", "sync-all", "@cli.command"),
        ("import_data", "import-data", "@app.command"),
        ("run_report", "", "set_defaults(func=)"),
        ("Cli", "", "#[derive(Parser)]"),
    }
    jobs = {(qualname(r), r.rule) for r in extra.roles.values() if r.kind == "scheduled"}
    assert jobs == {
        ("send_mail", "@shared_task"),
        ("cleanup", "scheduler.add_job()"),
        ("CleanupJob.run", "@Scheduled"),
    }
    listener = extra.role(
        "src/main/java/com/acme/listener/OrderListener.java", "OrderListener.onOrder"
    )
    assert (listener.kind, listener.rule) == ("listener", "@KafkaListener")
    helper = extra.role("src/main/java/com/acme/job/CleanupJob.java", "CleanupJob.helper")
    assert (helper.role, helper.rule) == ("service", "inherited @Component")


def test_data_access_entities_config(extra):
    repo = extra.role(A + "repo/UserRepository.java", "UserRepository.findByName")
    assert (repo.kind, repo.rule) == (
        "jpa_repository",
        "inherited extends JpaRepository<User, Long>",
    )
    assert extra.role(A + "entity/User.java", "User").rule == "@Entity"
    assert extra.role(A + "config/AppConfig.java", "AppConfig").role == "config"
    assert extra.role(A + "mapper/AccountMapper.java", "AccountMapper.lockById").rule == "@Select"
    assert extra.role("lib/store.py", "fetch").kind == "sql"
    assert extra.role("api/schemas.py", "Item").kind == "pydantic"
    assert extra.role("app/settings.py", "load").role == "config"


@pytest.mark.parametrize(
    "path, rule",
    [
        ("tests/test_x.py", "path tests/"),
        ("pkg/test_x.py", "file test_*.py"),
        ("src/test/java/A.java", "path test/"),
        ("web/a.spec.ts", "file *.spec.[jt]s*"),
        ("pkg/x.py", ""),
    ],
)
def test_test_paths(path, rule):
    assert why_test_file(path) == rule


# --- mybatis -------------------------------------------------------------------------


def test_mapper_statements_lines_and_links(shop):
    by_id = {(s.namespace.rsplit(".", 1)[1], s.statement_id): s for s in shop.statements}
    update = by_id[("OrderMapper", "updateStatus")]
    xml = SHOP[update.path].splitlines()
    assert xml[update.start_line - 1].strip() == '<update id="updateStatus">'
    assert xml[update.end_line - 1].strip() == "</update>"
    assert (
        update.kind == "update"
        and update.sql == "UPDATE orders SET status = #{status} WHERE id = #{id}"
    )
    assert update.method == node_id(J + "order/mapper/OrderMapper.java", "OrderMapper.updateStatus")
    assert {k for k in by_id} == {
        ("OrderMapper", "insert"),
        ("OrderMapper", "selectById"),
        ("OrderMapper", "updateStatus"),
        ("OrderMapper", "selectAll"),
        ("ProductMapper", "selectById"),
    }
    assert all(s.method for s in shop.statements) and not shop.skipped


def test_malformed_mapper_files_are_counted(extra):
    assert extra.skipped == {
        "malformed_xml": 1,
        "entity_declaration": 1,  # refused, as entity expansion could blow up
        "no_namespace": 1,
        "unlinked_statement": 1,
    }
    annotated = [s for s in extra.statements if s.path.endswith(".java")]
    assert {(s.statement_id, s.kind, s.start_line, s.end_line) for s in annotated} == {
        ("lockById", "select", 7, 7),
        ("update", "update", 10, 10),
    }
    assert (
        next(s for s in annotated if s.kind == "update").sql == "UPDATE account SET balance = #{b}"
    )
    fragment = next(s for s in extra.statements if s.statement_id == "withColumns")
    assert fragment.sql == "SELECT id, name FROM account"


# --- rules ---------------------------------------------------------------------------


def test_shop_rules(shop):
    assert {(qualname(r), r.condition) for r in shop.rules_of("guard")} == SHOP_GUARDS
    assert {(qualname(r), r.value) for r in shop.rules_of("state_transition")} == SHOP_TRANSITIONS
    assert {qualname(r) for r in shop.rules_of("transaction")} == SHOP_TRANSACTIONAL
    impl = SHOP[J + "order/service/impl/OrderServiceImpl.java"].splitlines()
    guard = next(r for r in shop.rules_of("guard") if r.condition == "product == null")
    assert impl[guard.line - 1].strip() == "if (product == null) {"
    assert impl[guard.end_line - 1].strip() == "}"
    assert guard.effect == 'throw new ApiException("product not found");'
    paid = next(r for r in shop.rules_of("state_transition") if r.value == "OrderStatus.PAID")
    assert (paid.field, paid.condition) == ("status", "")
    assert impl[paid.line - 1].strip() == "order.setStatus(OrderStatus.PAID);"
    maximum = next(r for r in shop.rules_of("constant") if r.field == "MAX_QUANTITY")
    assert maximum.value == "99" and impl[maximum.line - 1].strip() == maximum.effect
    assert maximum.node == node_id(
        J + "order/service/impl/OrderServiceImpl.java", "OrderServiceImpl"
    )


def test_library_rules(library):
    assert {(qualname(r), r.condition) for r in library.rules_of("guard")} == LIBRARY_GUARDS
    assert {
        (qualname(r), r.value) for r in library.rules_of("state_transition")
    } == LIBRARY_TRANSITIONS
    assert {qualname(r) for r in library.rules_of("transaction")} == LIBRARY_TRANSACTIONAL
    services = LIBRARY["library/services.py"].splitlines()
    begin = library.rules_of("transaction")[0]
    assert services[begin.line - 1].strip() == "with db.session.begin():"
    assert begin.end_line == begin.line + 2 and begin.effect == "db.session.begin()"
    available = next(r for r in library.rules_of("constant") if r.field == "BookStatus.AVAILABLE")
    assert available.value == '"available"'


def test_guards_locks_and_markers(extra):
    wallet = "src/main/java/com/acme/service/WalletService.java"
    guards = {
        (qualname(r), r.condition, r.value) for r in extra.rules_of("guard") if wallet in r.node
    }
    assert guards == {
        ("WalletService.debit", "amount <= 0", ""),
        ("WalletService.debit", "account", "must_hold"),
        ("WalletService.debit", "account.getBalance() < amount", ""),
        ("WalletService.debit", "amount > LIMIT", ""),
    }
    frozen = next(r for r in extra.rules_of("state_transition") if wallet in r.node)
    assert (frozen.field, frozen.value, frozen.condition) == (
        "state",
        "AccountState.FROZEN",
        "risky",
    )
    transactions = {qualname(r) for r in extra.rules_of("transaction") if wallet in r.node}
    assert transactions == {"WalletService.debit", "WalletService.checkIdempotency"}  # the class's
    locks = {(qualname(r), r.line, r.effect) for r in extra.rules_of("lock")}
    setnx = 'redisTemplate.opsForValue().setIfAbsent("debit:" + account.getId(), "1")'
    assert locks == {
        ("WalletService.debit", 8, "synchronized"),
        ("WalletService.debit", 20, setnx),
        ("WalletService.checkIdempotency", 25, "name checkIdempotency"),
        ("AccountMapper.lockById", 7, '"SELECT * FROM account WHERE id = #{id} FOR UPDATE"'),
        ("move", 19, "lock"),
        ("move", 20, "Account.objects.select_for_update()"),
    }
    assert {qualname(r) for r in extra.rules_of("transaction") if r.node.startswith("lib/")} == {
        "move"
    }
    limit = next(r for r in extra.rules_of("constant") if r.field == "LIMIT")
    assert limit.value == "5"
    loans = next(r for r in extra.rules_of("constant") if r.field == "MAX_LOANS")
    assert loans.node == node_id("lib/store.py", "<module>") and loans.value == "3"
    js = {(qualname(r), r.effect) for r in extra.rules_of("guard") if r.node.startswith("web/")}
    assert js == {("createUser", "return res.status(400).send('name');")}


def test_deeply_nested_code_does_not_recurse(tmp_path):
    concatenation = " +\n".join(['"x"'] * 3000)  # one term a line: the index skips long lines
    deep = {
        "src/main/java/a/Deep.java": (
            "package a;\n\n@Service\npublic class Deep {\n    public String f(int x) {\n"
            f"        if (x > 0) {{\n            return {concatenation};\n        }}\n"
            "        throw new IllegalStateException();\n    }\n}\n"
        )
    }
    analysed = Analysed(tmp_path / "deep", deep)
    assert analysed.role("src/main/java/a/Deep.java", "Deep.f").rule == "inherited @Service"
    assert analysed.rules == []  # the return is no rejection, the throw is in no if
