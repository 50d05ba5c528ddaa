"""Query-protocol (XML) answers: small edits to moto's, and whole new ones."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape

from reconciler.sandbox.wire.errors import request_id
from reconciler.sandbox.wire.wsgi import Response

Edit = Callable[[ET.Element], None]


def local_name(tag: str) -> str:
    """`{namespace}Name` -> `Name`."""
    return tag.rsplit("}", 1)[-1]


def named(root: ET.Element, name: str) -> Iterator[ET.Element]:
    return (element for element in root.iter() if local_name(element.tag) == name)


def remove_named(root: ET.Element, name: str) -> None:
    for parent in list(root.iter()):
        for child in [c for c in parent if local_name(c.tag) == name]:
            parent.remove(child)


def edited(response: Response, edit: Edit) -> Response:
    """`response` with `edit` applied to its XML body; errors and empty bodies pass."""
    if not response.ok or not response.body:
        return response
    root = ET.fromstring(response.body)
    edit(root)
    # Keep moto's default namespace rather than ElementTree's ns0: prefixes.
    text = ET.tostring(root, encoding="unicode", default_namespace=namespace_of(root) or None)
    return response.with_body(text.encode())


def namespace_of(node: ET.Element) -> str:
    return node.tag[1:].split("}", 1)[0] if node.tag.startswith("{") else ""


def add_child(parent: ET.Element, name: str, text: str) -> None:
    """Append `<name>text</name>` to `parent`, in the parent's namespace."""
    namespace = namespace_of(parent)
    tag = f"{{{namespace}}}{name}" if namespace else name
    ET.SubElement(parent, tag).text = text


def query_response(action: str, namespace: str, result: str) -> Response:
    """A successful `action` answer whose Result element holds the XML text `result`."""
    body = (
        f'<{action}Response xmlns="{escape(namespace)}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()
    headers = (("Content-Type", "text/xml"), ("Content-Length", str(len(body))))
    return Response(200, headers, body)


def element(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"
