"""Identifier semantics: kinds mapped across systems by region, one canonical form and one hash per number,
values in clear only for public-register kinds (the allow-list)."""

from __future__ import annotations

import hmac

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.au import abn, acn, tfn

from landing.identifiers import PUBLIC_KINDS, canonical, kind_of
from landing.idents import LONG, identifiers
from landing.secrets import HashKey

SECRET = "identifier-tests-key-not-a-secret-000"
KEY = HashKey(SECRET, "test")


def ids(rows: list[tuple[str, str, str]], region: str | None = "AU") -> pl.DataFrame:
    """(source, label, value) rows, one client each, through the readers' identifier step."""
    long = pl.DataFrame(
        [(src, f"c{i}", label, value) for i, (src, label, value) in enumerate(rows)], schema=LONG, orient="row"
    )
    return identifiers(long, "P1", region, KEY)


@pytest.mark.parametrize(
    "source,label,region,kind",
    [
        ("hq", "CRN", "AU", "ACN"), ("xpm", "CompanyNumber", "AU", "ACN"), ("hq", "ACN", "NZ", "ACN"),
        ("hq", "CRN", "NZ", "NZCN"), ("xpm", "CompanyNumber", "NZ", "NZCN"),
        ("hq", "CRN", "UK", "UKCRN"), ("xpm", "CompanyNumber", "UK", "UKCRN"),
        ("hq", "CRN", "US", "CRN"), ("xpm", "CompanyNumber", "ROW", "CRN"),
        ("xpm", "BusinessNumber", "AU", "ABN"), ("xpm", "BusinessNumber", "NZ", "NZBN"), ("xpm", "BusinessNumber", "UK", "BUSINESS"),
        ("xpm", "TaxNumber", "AU", "TFN"), ("xpm", "TaxNumber", "NZ", "IRD"), ("xpm", "TaxNumber", "UK", "UTR"),
        ("xpm", "TaxNumber", "US", "TAX"), ("tax", "tfn", "AU", "TFN"), ("tax", "ird_number", "NZ", "IRD"),
        ("tax", "abn", "AU", "ABN"), ("hq", "gst", "NZ", "IRD"), ("hq", "GST", "AU", "GST"), ("hq", "ein", "US", "EIN"),
        ("hq", "Passport No.", "UK", "PASSPORTNO"), ("hq", "123456782", "AU", "OTHER"), ("hq", "X 1234 Y", "AU", "OTHER"),
    ],
)  # fmt: skip
def test_kinds_are_mapped_across_systems_by_region(source, label, region, kind):
    assert kind_of(label, region) == kind
    assert ids([(source, label, "12345678")], region)["id_type"].to_list() == [kind]


SEPARATORS = st.sampled_from(["", " ", "-", ".", "/", "  ", " - "])


def formatted(value: str, seps: list[str], pad: str, lead: str, trail: str) -> str:
    """`value` as a person might type it: separators between digits, surrounding space."""
    out = value[0] + "".join(s + d for s, d in zip(seps, value[1:]))
    return f"{lead}{pad}{out}{trail}"


@st.composite
def numbers(draw):
    """(kind, a valid number, the same number formatted some way)."""
    kind = draw(st.sampled_from(["TFN", "ABN", "ACN", "IRD", "NZBN", "NZCN", "UTR", "EIN", "SSN", "PASSPORT"]))
    body = draw(st.text("0123456789", min_size=8, max_size=8))
    value = {
        "TFN": lambda: body + str(sum(w * int(d) for w, d in zip((1, 4, 3, 7, 5, 8, 6, 9), body)) % 11 % 10),
        "ABN": lambda: abn.calc_check_digits(body + "1") + body + "1",
        "ACN": lambda: body + acn.calc_check_digit(body),
        "IRD": lambda: body,
        "NZBN": lambda: "94" + body + "123",
        "NZCN": lambda: body[:7].lstrip("0") or "1",
        "UTR": lambda: body + "12",
        "EIN": lambda: body + "1",
        "SSN": lambda: body + "2",
        "PASSPORT": lambda: "PA" + body,
    }[kind]()
    seps = draw(st.lists(SEPARATORS, min_size=len(value) - 1, max_size=len(value) - 1))
    # a leading zero is how an 8-digit IRD (or a short company number) is often written
    pad = draw(st.sampled_from(["", "0"])) if kind in ("IRD", "NZCN") and len(value) < 9 else ""
    text = formatted(value, seps, pad, draw(st.sampled_from(["", " ", "\t"])), draw(st.sampled_from(["", " "])))
    if kind == "PASSPORT":
        text = draw(st.sampled_from([text, text.lower()]))
    return kind, value, text


@settings(max_examples=300, deadline=None)
@given(numbers())
def test_any_formatting_gives_one_canonical_value_and_one_hash(case):
    kind, value, text = case
    got = ids([("hq", kind, value), ("hq", kind, text)]).rows(named=True)
    assert len(got) == 2
    assert got[0]["id_hash"] == got[1]["id_hash"] and got[0]["id_last3"] == got[1]["id_last3"]
    assert got[0]["id_value"] == got[1]["id_value"]
    canon = value.upper().zfill(9) if kind in ("IRD", "NZCN") else value.upper()
    # the hash is the contract's: HMAC-SHA256(key, KIND ":" canonical value)
    assert got[0]["id_hash"] == hmac.new(SECRET.encode(), f"{kind}:{canon}".encode(), "sha256").hexdigest()
    assert got[0]["id_last3"] == canon[-3:]


@settings(max_examples=100, deadline=None)
@given(st.text("0123456789", min_size=8, max_size=8), SEPARATORS, SEPARATORS)
def test_canonical_forms_agree_with_python_stdnum(body, s1, s2):
    valid_abn = abn.calc_check_digits(body + "7") + body + "7"
    valid_acn = body + acn.calc_check_digit(body)
    valid_tfn = body + str(sum(w * int(d) for w, d in zip((1, 4, 3, 7, 5, 8, 6, 9), body)) % 11 % 10)
    frame = pl.DataFrame(
        {"k": ["ABN", "ACN", "TFN"], "v": [abn.format(valid_abn).replace(" ", s1), acn.format(valid_acn).replace(" ", s2),
                                       tfn.format(valid_tfn).replace(" ", s1)]}
    )
    got = frame.select(canonical(pl.col("k"), pl.col("v"))).to_series().to_list()
    assert got == [abn.compact(valid_abn), acn.compact(valid_acn), tfn.compact(valid_tfn)]


def test_the_same_ird_with_and_without_its_leading_zero_is_one_number():
    got = ids([("tax", "ird_number", "36202843"), ("xpm", "TaxNumber", "036-202-843")], "NZ")
    assert got["id_type"].to_list() == ["IRD", "IRD"]
    assert got["id_hash"].n_unique() == 1 and got["is_valid"].to_list() == [True, True]


def test_uk_company_numbers_are_upper_case_and_padded_to_eight():
    got = ids([("hq", "CRN", "sc 12345"), ("xpm", "CompanyNumber", "SC012345"), ("hq", "CRN", "1234567")], "UK")
    assert got["id_value"].to_list() == ["SC012345", "SC012345", "01234567"]


def test_only_public_register_kinds_are_kept_in_clear():
    rows = [("hq", k, v) for k, v in [
        ("ABN", "51 824 753 556"), ("ACN", "004 085 616"), ("ARBN", "004085616"), ("NZBN", "9429041535127"),
        ("CRN", "1234567"), ("TFN", "123 456 782"), ("IRD", "49-091-850"), ("UTR", "1955839661"), ("EIN", "04-2103594"),
        ("SSN", "536-90-4399"), ("GST", "49-091-850"), ("PASSPORT", "PA1234567"), ("Medicare", "2123 45670 1"),
        ("anything at all", "X-99-ABC"),
    ]]  # fmt: skip
    got = ids(rows)
    assert got.height == len(rows)
    clear = got.filter(pl.col("id_value").is_not_null())
    assert set(clear["id_type"]) == {"ABN", "ACN", "ARBN", "NZBN"} and set(clear["id_type"]) <= PUBLIC_KINDS
    hidden = got.filter(~pl.col("id_type").is_in(sorted(PUBLIC_KINDS)))
    assert hidden.height == 9 and hidden["id_value"].null_count() == 9
    # every kind, public or not, has a hash and its last three characters
    assert got["id_hash"].null_count() == 0 and got["id_hash"].str.len_chars().unique().to_list() == [64]
    assert one_row(got, "PASSPORT")["id_last3"] == "567" and one_row(got, "UTR")["is_valid"] is True


def one_row(frame: pl.DataFrame, kind: str) -> dict:
    rows = frame.filter(pl.col("id_type") == kind)
    assert rows.height == 1
    return rows.row(0, named=True)


def test_a_veto_can_trust_is_valid_only_where_a_check_exists():
    got = ids([("hq", "TFN", "12345678"), ("hq", "TFN", "123456783"), ("hq", "NZCN", "1234567"), ("hq", "ABN", "51824753556")])
    assert got["is_valid"].to_list() == [None, False, None, True]
