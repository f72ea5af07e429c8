#!/usr/bin/env python3
"""Lists the public API of each library crate of the workspace from rustdoc's JSON, one item
per line (kind, path, and for functions their signature), sorted, so that a committed copy
(`public-api.txt`) shows every change to the API in review.

Usage: scripts/public-api.sh [--check]; this file reads the JSON files named on its command
line and prints the list.
"""

import json
import sys


# The rustdoc JSON format this reads: the stable toolchain's (Rust 1.95).
FORMAT_VERSION = 57

PATHS = {}


def render_path(path):
    """A resolved path with its generic arguments: the item's full path where rustdoc knows
    it (so that moving an import does not read as an API change), else as written."""
    known = PATHS.get(str(path.get("id")))
    name = "::".join(known["path"]) if known else (path.get("path") or path.get("name") or "?")
    return name + render_args(path.get("args"))


def render_args(args):
    if not args:
        return ""
    if "angle_bracketed" in args:
        inner = args["angle_bracketed"]
        parts = []
        for arg in inner.get("args", []):
            if "type" in arg:
                parts.append(render_type(arg["type"]))
            elif "lifetime" in arg:
                parts.append(arg["lifetime"])
            elif "const" in arg:
                parts.append(arg["const"].get("expr", "_"))
            else:
                parts.append("_")
        for constraint in inner.get("constraints", []):
            binding = constraint.get("binding", {})
            if "equality" in binding and "type" in binding["equality"]:
                parts.append(f"{constraint['name']} = {render_type(binding['equality']['type'])}")
            else:
                parts.append(constraint.get("name", "_"))
        return f"<{', '.join(parts)}>" if parts else ""
    if "parenthesized" in args:
        inner = args["parenthesized"]
        inputs = ", ".join(render_type(t) for t in inner.get("inputs", []))
        output = inner.get("output")
        return f"({inputs})" + (f" -> {render_type(output)}" if output else "")
    return ""


def render_bounds(bounds):
    parts = []
    for bound in bounds:
        if "trait_bound" in bound:
            parts.append(render_path(bound["trait_bound"]["trait"]))
        elif "outlives" in bound:
            parts.append(bound["outlives"])
    return " + ".join(parts)


def render_type(ty):
    if ty is None:
        return "()"
    (kind, value), = ty.items()
    if kind == "resolved_path":
        return render_path(value)
    if kind == "primitive":
        return value
    if kind == "generic":
        return value
    if kind == "borrowed_ref":
        lifetime = f"{value['lifetime']} " if value.get("lifetime") else ""
        mutable = "mut " if value.get("is_mutable") else ""
        return f"&{lifetime}{mutable}{render_type(value['type'])}"
    if kind == "raw_pointer":
        return f"*{'mut' if value.get('is_mutable') else 'const'} {render_type(value['type'])}"
    if kind == "tuple":
        return f"({', '.join(render_type(t) for t in value)})"
    if kind == "slice":
        return f"[{render_type(value)}]"
    if kind == "array":
        return f"[{render_type(value['type'])}; {value['len']}]"
    if kind == "impl_trait":
        return f"impl {render_bounds(value)}"
    if kind == "dyn_trait":
        traits = " + ".join(render_path(t["trait"]) for t in value.get("traits", []))
        return f"dyn {traits}"
    if kind == "qualified_path":
        self_type = render_type(value["self_type"])
        trait = value.get("trait")
        if trait:
            return f"<{self_type} as {render_path(trait)}>::{value['name']}"
        return f"{self_type}::{value['name']}"
    if kind == "function_pointer":
        sig = value["sig"]
        inputs = ", ".join(render_type(t) for _, t in sig["inputs"])
        return f"fn({inputs}) -> {render_type(sig.get('output'))}"
    return kind


def signature(function):
    sig = function["sig"]
    header = function.get("header", {})
    prefix = ("async " if header.get("is_async") else "") + ("const " if header.get("is_const") else "")
    inputs = []
    for name, ty in sig["inputs"]:
        if name == "self":
            rendered = render_type(ty)
            inputs.append({"Self": "self", "&Self": "&self", "&mut Self": "&mut self"}.get(rendered, f"self: {rendered}"))
        else:
            inputs.append(f"{name}: {render_type(ty)}")
    output = sig.get("output")
    arrow = f" -> {render_type(output)}" if output else ""
    return prefix, f"({', '.join(inputs)}){arrow}"


class Lister:
    def __init__(self, doc):
        self.doc = doc
        self.index = doc["index"]
        self.lines = set()
        self.seen = set()

    def item(self, id_):
        return self.index.get(str(id_))

    def public(self, item):
        return item["visibility"] in ("public", "default")

    def walk_module(self, item, path):
        for child_id in item["inner"]["module"]["items"]:
            child = self.item(child_id)
            if child is None or not self.public(child):
                continue
            self.walk(child, path)

    def walk(self, item, path):
        (kind, inner), = item["inner"].items()
        name = item.get("name")
        here = f"{path}::{name}" if name else path
        if any("non_exhaustive" in str(attr) for attr in item.get("attrs", [])):
            self.lines.add(f"#[non_exhaustive] {here}")
        if kind == "module":
            self.lines.add(f"mod {here}")
            self.walk_module(item, here)
        elif kind == "use":
            target = self.item(inner["id"]) if inner.get("id") is not None else None
            if target is None:
                # Another crate's item: that crate's own list shows what it is.
                glob = "::*" if inner["is_glob"] else ""
                name = "*" if inner["is_glob"] else inner["name"]
                self.lines.add(f"pub use {path}::{name} = {inner['source']}{glob}")
            elif inner["is_glob"]:
                self.walk_module(target, path)
            elif (inner["id"], path, inner["name"]) not in self.seen:
                # An item of this crate, re-exported (from a private module, most often):
                # listed in full at the path users name it by.
                self.seen.add((inner["id"], path, inner["name"]))
                renamed = dict(target, name=inner["name"])
                self.walk(renamed, path)
        elif kind == "struct":
            self.lines.add(f"struct {here}")
            struct_kind = inner["kind"]
            if isinstance(struct_kind, dict) and "plain" in struct_kind:
                for field_id in struct_kind["plain"]["fields"]:
                    field = self.item(field_id)
                    if field and self.public(field):
                        self.lines.add(f"field {here}::{field['name']}: {render_type(field['inner']['struct_field'])}")
                if struct_kind["plain"].get("has_stripped_fields"):
                    self.lines.add(f"struct {here} (private fields)")
            self.walk_impls(inner.get("impls", []), here)
        elif kind == "enum":
            self.lines.add(f"enum {here}")
            for variant_id in inner["variants"]:
                variant = self.item(variant_id)
                if variant:
                    self.lines.add(f"variant {here}::{variant['name']}")
                    if any("non_exhaustive" in str(a) for a in variant.get("attrs", [])):
                        self.lines.add(f"#[non_exhaustive] {here}::{variant['name']}")
            self.walk_impls(inner.get("impls", []), here)
        elif kind == "union":
            self.lines.add(f"union {here}")
        elif kind == "trait":
            self.lines.add(f"trait {here}")
            for member_id in inner["items"]:
                member = self.item(member_id)
                if member:
                    self.member(member, here, in_trait=True)
        elif kind == "function":
            prefix, sig = signature(inner)
            self.lines.add(f"{prefix}fn {here}{sig}")
        elif kind == "constant":
            self.lines.add(f"const {here}: {render_type(inner['type'])}")
        elif kind == "static":
            self.lines.add(f"static {here}: {render_type(inner['type'])}")
        elif kind == "type_alias":
            self.lines.add(f"type {here} = {render_type(inner['type'])}")
        elif kind in ("macro", "proc_macro"):
            self.lines.add(f"macro {here}")
        else:
            self.lines.add(f"{kind} {here}")

    def member(self, member, owner, in_trait=False):
        (kind, inner), = member["inner"].items()
        if kind == "function":
            prefix, sig = signature(inner)
            provided = " (provided)" if in_trait and inner.get("has_body") else ""
            self.lines.add(f"{prefix}fn {owner}::{member['name']}{sig}{provided}")
        elif kind == "assoc_const":
            self.lines.add(f"const {owner}::{member['name']}")
        elif kind == "assoc_type":
            self.lines.add(f"type {owner}::{member['name']}")

    def walk_impls(self, impl_ids, owner):
        for impl_id in impl_ids:
            impl_item = self.item(impl_id)
            if impl_item is None:
                continue
            impl = impl_item["inner"]["impl"]
            if impl.get("is_synthetic") or impl.get("blanket_impl") is not None:
                continue
            trait = impl.get("trait")
            if trait is not None:
                self.lines.add(f"impl {render_path(trait)} for {owner}")
                continue
            for member_id in impl["items"]:
                member = self.item(member_id)
                if member and self.public(member):
                    self.member(member, owner)


def main():
    lines = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as file:
            doc = json.load(file)
        if doc.get("format_version") != FORMAT_VERSION:
            sys.exit(
                f"{path}: rustdoc JSON format {doc.get('format_version')}, this script reads "
                f"{FORMAT_VERSION} (Rust 1.95's): update it with the toolchain"
            )
        PATHS.clear()
        PATHS.update(doc.get("paths", {}))
        root = doc["index"][str(doc["root"])]
        lister = Lister(doc)
        crate = root["name"]
        lister.lines.add(f"crate {crate}")
        lister.walk_module(root, crate)
        lines.extend(sorted(lister.lines))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
