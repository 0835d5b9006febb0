"""Small multi-file projects, one per language. Each has a `target` file whose function
uses a definition from another file (`needed`) and must not pull in `unrelated`."""

PYTHON = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "src/shop/__init__.py": "",
    "src/shop/models.py": (
        'class Order:\n    """An order."""\n    total: int\n\n\nclass Unrelated:\n    pass\n'
    ),
    "src/shop/pricing.py": (
        "def discount(order, percent):\n"
        '    """Apply a discount."""\n'
        "    return order.total * (100 - percent) // 100\n"
    ),
    "src/shop/service.py": (
        "from shop.models import Order\n"
        "from .pricing import discount as apply_discount\n"
        "from . import pricing\n\n\n"
        "def checkout(total):\n"
        "    order = Order()\n"
        "    order.total = total\n"
        "    return apply_discount(order, 10)\n"
    ),
}

TYPESCRIPT = {
    "tsconfig.json": (
        '{\n  // comments are allowed\n  "compilerOptions": {\n'
        '    "baseUrl": ".",\n    "paths": {"@/*": ["src/*"]},\n  },\n}\n'
    ),
    "src/models/index.ts": (
        "/** A user. */\nexport interface User {\n  name: string;\n}\n"
        "export interface Unrelated { x: number }\n"
    ),
    "src/util.ts": "/** Shout it. */\nexport function shout(s: string): string {\n  return s.toUpperCase();\n}\n",
    "src/format.ts": "export const fmt = (n: number): string => `${n}`;\n",
    "src/app.ts": (
        'import { User } from "./models";\n'
        'import { shout } from "@/util";\n'
        'import * as f from "./format.js";\n\n'
        "export function greet(user: User): string {\n"
        "  return shout(user.name) + f.fmt(1);\n"
        "}\n"
    ),
}

RUST = {
    "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
    "crates/core/Cargo.toml": '[package]\nname = "shop-core"\n',
    "crates/core/src/lib.rs": "pub mod model;\n",
    "crates/core/src/model.rs": (
        "/// A money amount.\n#[derive(Debug, Clone)]\npub struct Money {\n    pub cents: i64,\n}\n\n"
        "pub struct Unrelated;\n"
    ),
    "crates/app/Cargo.toml": '[package]\nname = "app"\n',
    "crates/app/src/main.rs": "mod billing;\nmod billing_util;\nfn main() {}\n",
    "crates/app/src/billing_util.rs": "pub fn round(x: i64) -> i64 { x }\n",
    "crates/app/src/billing/mod.rs": (
        "use shop_core::model::Money;\n"
        "use crate::billing_util::round;\n"
        "use super::billing_util;\n\n"
        "pub fn total(items: &[Money]) -> Money {\n"
        "    Money { cents: round(items.iter().map(|m| m.cents).sum()) }\n"
        "}\n"
    ),
}

JAVA = {
    "src/main/java/com/shop/model/Item.java": (
        "package com.shop.model;\n\n/** An item. */\npublic class Item {\n"
        "    public int price;\n}\n"
    ),
    "src/main/java/com/shop/model/Unrelated.java": "package com.shop.model;\npublic class Unrelated {}\n",
    "src/main/java/com/shop/Tax.java": (
        "package com.shop;\n\npublic class Tax {\n"
        "    /** Tax of a price. */\n    public static int of(int price) { return price / 5; }\n}\n"
    ),
    "src/main/java/com/shop/Cart.java": (
        "package com.shop;\n\nimport com.shop.model.Item;\n\n"
        "public class Cart {\n    public int total(Item item) {\n"
        "        return item.price + Tax.of(item.price);\n    }\n}\n"
    ),
}

GO = {
    "go.mod": "module example.com/shop\n\ngo 1.21\n",
    "model/user.go": (
        "package model\n\n// User is a customer.\ntype User struct {\n\tName string\n}\n\n"
        "type Unrelated struct{}\n"
    ),
    "service/helper.go": "package service\n\n// Clean trims.\nfunc Clean(s string) string { return s }\n",
    "service/greet.go": (
        'package service\n\nimport "example.com/shop/model"\n\n'
        "func Greet(u model.User) string {\n\treturn Clean(u.Name)\n}\n"
    ),
}

# language -> (files, target path, line inside the target function, needed, unrelated)
PROJECTS = {
    "python": (PYTHON, "src/shop/service.py", 8, {"Order", "discount"}, "Unrelated"),
    "typescript": (TYPESCRIPT, "src/app.ts", 6, {"User", "shout", "fmt"}, "Unrelated"),
    "rust": (RUST, "crates/app/src/billing/mod.rs", 6, {"Money", "round"}, "Unrelated"),
    "java": (JAVA, "src/main/java/com/shop/Cart.java", 7, {"Item", "Tax.of"}, "Unrelated"),
    "go": (GO, "service/greet.go", 6, {"User", "Clean"}, "Unrelated"),
}
