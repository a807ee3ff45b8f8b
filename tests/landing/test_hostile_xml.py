"""Hostile xpm_clients.xml: DTDs refused before the body is parsed, libxml2's limits kept, each a BadInput naming file and line."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from landing import BadInput
from landing.xpm import parse_xpm

CLIENT = "<Client><UUID>x-1</UUID><Name>{name}</Name></Client>"


def write(tmp_path: Path, prolog: str, name: str = "Smith", inner: str = "") -> Path:
    path = tmp_path / "xpm_clients.xml"
    body = f"<Response><Status>OK</Status><Clients>{CLIENT.format(name=name)}{inner}</Clients></Response>\n"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}{body}', encoding="utf-8")
    return path


def refused(path: Path) -> BadInput:
    with pytest.raises(BadInput) as info:
        parse_xpm(path, "P1")
    assert info.value.file == "xpm_clients.xml"
    return info.value


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def test_billion_laughs_is_refused_at_its_doctype_line(tmp_path):
    path = write(tmp_path, "<!-- a comment first -->\n" + BILLION_LAUGHS, name="&lol9;")
    exc = refused(path)
    assert exc.record == "line 3" and "DOCTYPE" in exc.message


def test_an_external_file_entity_is_refused_unread(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = write(tmp_path, f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>\n', name="&xxe;")
    exc = refused(path)
    assert exc.record == "line 2" and "DOCTYPE" in exc.message and "TOP-SECRET" not in str(exc)


def test_an_external_http_entity_is_refused_without_a_request(tmp_path):
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<x>pwned</x>")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/dtd"
        path = write(tmp_path, f'<!DOCTYPE r SYSTEM "{url}">\n')
        assert refused(path).record == "line 2"
        path = write(tmp_path, f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}">]>\n', name="&xxe;")
        assert refused(path).record == "line 2"
    finally:
        server.shutdown()
    assert hits == []


def test_a_doctype_without_entities_is_refused_too(tmp_path):
    exc = refused(write(tmp_path, "\n\n<!DOCTYPE Response>\n"))
    assert exc.record == "line 4" and "DOCTYPE" in exc.message


def test_an_undeclared_entity_reference_is_a_clear_error(tmp_path):
    exc = refused(write(tmp_path, "", name="&xxe;"))
    assert exc.record == "line 2" and "xxe" in exc.message


def test_very_deep_nesting_stops_at_libxml2s_limit(tmp_path):
    deep = "<a>" * 5000 + "</a>" * 5000
    exc = refused(write(tmp_path, "", inner=f"<Client><UUID>x-2</UUID><Name>Deep</Name><X>{deep}</X></Client>"))
    assert exc.record == "line 2" and "deeper than libxml2's limit" in exc.message


def test_a_huge_text_node_stops_at_libxml2s_limit(tmp_path):
    exc = refused(write(tmp_path, "", name="A" * 10_000_001))
    assert exc.record == "line 2" and "text node longer than libxml2's limit" in exc.message


def test_an_ordinary_file_with_comments_and_a_bom_still_reads(tmp_path):
    path = write(tmp_path, "<!-- exported by XPM -->\n<?pi something?>\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    parsed = parse_xpm(path, "P1")
    assert parsed.frames.client["name"].to_list() == ["Smith"]


def test_a_processing_instruction_inside_a_value_is_left_out_and_markup_in_a_value_is_named(tmp_path):
    """QA (session 35): `<Address>12 <?pi x?>Long Street</Address>` was read as no address at all, unsaid, and a Name
    holding an element (`Anne <b>Bold</b> Walker`) failed its practice as "missing Name"."""
    path = write(tmp_path, "", name="Anne <?pi x?>Walker")
    assert parse_xpm(path, "P1").frames.client["name"].to_list() == ["Anne Walker"]
    path = write(tmp_path, "", name="Anne <b>Bold</b> Walker")
    e = refused(path)
    assert (e.record, e.message) == ("record 1 (UUID=x-1)", "Name: holds markup (<b>), not text")
