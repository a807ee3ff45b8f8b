"""The hash key never shows itself; secrets in free text are hashed or masked; error text never quotes a secret."""

from __future__ import annotations

import hmac
import json
import pickle
import re
import time

import polars as pl
import pytest

from landing import BadInput, read_practice, redact
from landing.freetext import protect_custom_fields
from landing.idents import identifiers
from landing.schema import CUSTOM_FIELD
from landing.secrets import HashKey, read_zone_key, write_zone_key
from tests.landing.fixtures import KEY, practice, zone

SECRET = "a-very-secret-key-of-thirty-two-plus-chars"


def test_a_key_never_shows_or_serialises_its_secret():
    key = HashKey(SECRET, "test")
    assert SECRET not in repr(key) and SECRET not in str(key) and SECRET not in f"{key!r} {[key]}"
    with pytest.raises(TypeError, match="never serialised"):
        pickle.dumps(key)
    assert key.fingerprint == hmac.new(SECRET.encode(), b"single-client-record/hash-key-fingerprint/v1", "sha256").hexdigest()
    assert HashKey(SECRET + "x", "test").fingerprint != key.fingerprint and HashKey(SECRET, "other") == key


def test_hashes_are_hmac_sha256_once_per_value_and_null_stays_null():
    key = HashKey(SECRET, "test")
    out = key.hash_series(pl.Series(["TFN:123456782", None, "TFN:123456782"]))
    want = hmac.new(SECRET.encode(), b"TFN:123456782", "sha256").hexdigest()
    assert out.to_list() == [want, None, want] and key.digest("TFN:123456782") == want


def test_a_generated_zone_key_is_random_and_read_back(tmp_path):
    first = write_zone_key(tmp_path)
    assert first.name.startswith(".") and oct(first.stat().st_mode)[-3:] == "600"
    key = read_zone_key(tmp_path)
    assert key is not None and key.origin.startswith("throwaway")
    write_zone_key(tmp_path)
    assert read_zone_key(tmp_path) != key
    assert read_zone_key(tmp_path / "elsewhere") is None


def test_redact_masks_long_numbers_to_their_last_three():
    assert redact("dateOfBirth: not a date: '123 456 782'") == "dateOfBirth: not a date: '***782'"
    assert redact("TFN123-456-782, IRD 49.091.850, phone 0412345678") == "TFN***782, IRD ***850, phone ***678"
    assert redact("line 12 (client_code=C1234)") == "line 12 (client_code=C1234)"


def test_redact_leaves_a_uuid_and_a_written_date_as_written():
    # the id an operator searches for and the date that did not parse: once '0f***587c9-94ad***752' and '***230'
    uuid = "cdfe3968-0f12-4587-94ad-123456789752"
    assert redact(f"record 1 (id={uuid}): dateOfBirth: not a date: '2024-02-30'") == (
        f"record 1 (id={uuid}): dateOfBirth: not a date: '2024-02-30'"
    )
    assert redact("not a date: '30/02/2024', nor '1990-05-01T00:00:00+10:00'") == (
        "not a date: '30/02/2024', nor '1990-05-01T00:00:00+10:00'"
    )
    # a number beside a date, or in no date's shape, is still masked
    assert redact("2024-02-30 123456782, 19900501, 1234-56-782, 12/34/5678") == "2024-02-30 ***782, ***501, ***782, ***678"
    assert redact(f"x{uuid}").endswith("***752")  # glued to other text it is no UUID


def test_bad_input_text_never_quotes_a_tax_number(tmp_path):
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["dateOfBirth"] = "123 456 782"  # a TFN typed into the wrong field
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as info:
        read_practice(landing, practice(landing, "P_AU"), KEY)
    text = str(info.value)
    assert "hq_clients.json" in text and "dateOfBirth" in text and "***782" in text
    assert "123456782" not in text.replace(" ", "") and "456" not in text
    assert "456" not in info.value.message


def fields(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [("P1", "xpm", f"c{i}", f"f{i}", name, kind, value, None, None, None) for i, (name, kind, value) in enumerate(rows)],
        schema=CUSTOM_FIELD, orient="row",
    )


def test_secret_custom_fields_are_hashed_flagged_and_others_kept():
    got = protect_custom_fields(fields([
        ("TFN", "text", "123 456 782"),
        ("Bank account no.", "text", "062-000 1234 5678"),
        ("Notes", "text", "per letter, TFN is 123-456-782 (confirmed)"),
        ("Referral Source", "text", "Word of mouth"),
        ("Year End", "date", "2024-06-30T00:00:00"),
        ("Annual Fee", "number", "12345678"),  # not a valid TFN or IRD: a number, kept
        ("Thirdparty", "text", "kept"),  # "ird" inside a word is not a secret name
    ]), KEY)  # fmt: skip
    flags = got["is_secret"].to_list()
    assert flags == [True, True, True, False, False, False, False]
    secret = got.filter(pl.col("is_secret"))
    assert secret["value"].null_count() == 3 and secret["value_hash"].null_count() == 0
    assert secret["value_last3"].to_list() == ["782", "678", "MED"]
    assert secret["value_hash"][0] == KEY.digest("FREE:123456782")
    kept = got.filter(~pl.col("is_secret"))
    assert kept["value"].to_list() == ["Word of mouth", "2024-06-30T00:00:00", "12345678", "kept"]
    assert kept["value_hash"].null_count() == 4


def test_a_tax_number_in_any_other_free_text_is_masked(tmp_path):
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][1]["displayName"] = "Acme Pty Ltd TFN 123 456 782"
    doc["clients"][1]["address"] = {"line1": "Level 3, 2019-01-05 Expo 1234 5678 Rd"}  # a date (its digits pass the TFN check) and a non-TFN number stay
    doc["clients"][0]["contacts"][0]["position"] = "IRD 49-091-850"
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    hq = frames.client.filter(pl.col("source_client_id") == "h-2").row(0, named=True)
    assert hq["name"] == "Acme Pty Ltd TFN ***782"
    assert hq["address_line1"] == "Level 3, 2019-01-05 Expo 1234 5678 Rd"
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["position"].to_list() == ["IRD ***850"]


def test_a_tax_number_written_against_other_digits_with_a_dot_or_slash_is_caught(tmp_path):
    """Found by feeding the readers a stranger's text: '123456782.00', '123456782/2023' and 'TFN:123456782/2023'
    were stored in clear, the whole run (11 and 13 digits) being no tax number."""
    got = protect_custom_fields(fields([
        ("Amount", "number", "123456782.00"),
        ("Notes", "text", "lodged 123456782/2023"),
        ("Version", "text", "1.2.3/45678"),  # short parts: no number
    ]), KEY)  # fmt: skip
    assert got["is_secret"].to_list() == [True, True, False]
    assert got.filter(pl.col("is_secret"))["value"].null_count() == 2
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][1]["address"] = {"line1": "TFN:123456782/2023 Expo Rd", "line2": "paid 2019/01/05 ref 12345678.00"}
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    hq = frames.client.filter(pl.col("source_client_id") == "h-2").row(0, named=True)
    assert hq["address_line1"] == "TFN:***782/2023 Expo Rd"
    assert hq["address_line2"] == "paid 2019/01/05 ref 12345678.00"  # a date, and a number that is no TFN or IRD
    assert "123456782" not in json.dumps(frames.client.to_dicts(), default=str)


def test_an_identifier_its_source_gave_no_type_is_kept_hashed_not_dropped(tmp_path):
    """Found by the stranger-data audit: an HQ identifier with a value and no type was dropped without a word."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][1]["identifiers"] = [*(doc["clients"][1].get("identifiers") or []), {"value": "123 456 782"}, {"type": None, "value": "A-77"}]
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    kept = frames.identifier.filter((pl.col("source_client_id") == "h-2") & (pl.col("id_type") == "UNLABELLED"))
    assert kept.height == 2
    assert kept["id_value"].null_count() == 2  # hashed like any kind that is not a public register's
    assert sorted(kept["id_hash"].to_list()) == sorted([KEY.digest("UNLABELLED:123456782"), KEY.digest("UNLABELLED:A77")])
    assert "123456782" not in json.dumps(frames.identifier.to_dicts(), default=str)


# valid TFNs (stdnum) written as people paste and type them: no-break spaces, two spaces, en dashes, full-width digits
AS_TYPED = {"570 178 216": "570\u00a0178\u00a0216", "632 374 341": "632  374  341", "775 762 534": "775\u2013762\u2013534",
            "956 206 294": "\uff19\uff15\uff16\uff12\uff10\uff16\uff12\uff19\uff14"}  # fmt: skip


def test_redact_masks_a_number_written_with_any_space_or_dash_or_in_full_width_digits():
    """Found by feeding the readers a stranger's text (session 28): these were quoted in full in failure messages."""
    for plain, typed in AS_TYPED.items():
        for text in (f"not a date: {typed!r}", f"not a date: '{typed}'"):  # as repr shows it, and as written
            masked = redact(text)
            assert masked.endswith(f"'***{plain[-3:]}'"), (text, masked)
    assert redact("line 3:\n12345\n678") == "line 3:\n12345\n678"  # a line break is no separator


# TFN 123 456 782 as QA (session 30) found it quoted in full in practice_status.detail, logs and Prefect's artifacts
QA_FORMS = [
    "123\t456\t782", "123\n456\n782", "123\r456\r782", "123\r\n456\r\n782",  # a pasted column, an Excel Alt+Enter cell
    "(123) 456-782", "123:456:782", "123|456|782", "123#456#782", "123+456+782", "1*2*3*4*5*6*7*8*2",
    "123'456'782", "123\u2019456\u2019782",  # a Swiss thousands separator
    "123, 456, 782", "123\u00b7456\u00b7782", "123\u2022456\u2022782", "123'456\"782",
    "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u00b2", "\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2461",  # ¹²³, ①②③
    "".join(d + "\ufe0f\u20e3" for d in "123456782"), "".join(d + "\u0301" for d in "123456782"),  # keycaps, accents
    "1\u20e32\u20e33 4\u20e35-6\u20137\u00a08\u200b2", "123\t\t456\u00a0\u00a0782",
]


@pytest.mark.parametrize("typed", QA_FORMS, ids=ascii)
@pytest.mark.parametrize("quoted", ["repr", "as written"])
def test_redact_masks_a_number_written_in_every_form_qa_found(typed, quoted):
    """QA, session 30: a repr's \\t \\n \\r between the groups, a line break, brackets, apostrophes, colons and other
    punctuation, a comma and a space, superscript, circled and keycap digits and combining marks all kept it whole."""
    text = "record 2 (UUID=7cd10669-2f0e-4f7c-9a53-0c2b8f3e1d44): DateOfBirth: not a date: " + (
        repr(typed) if quoted == "repr" else f"'{typed}'")
    masked = redact(text)
    assert masked.startswith("record 2 (UUID=7cd10669-2f0e-4f7c-9a53-0c2b8f3e1d44): DateOfBirth: not a date: "), masked
    tail = masked.rsplit(": ", 1)[1]
    assert tail.endswith("***782" + tail[-1]) and _digits(tail) == "782", (text, masked)


def test_redact_masks_a_tax_number_written_as_a_date_and_one_more_digit():
    """QA, session 30: '2001-12-31 2' is the TFN 200112312; a date beside a whole number is still a date."""
    assert redact("not a date: '2001-12-31 2'") == "not a date: '***312'"
    assert redact("not a date: '31/12/2001 2'") == "not a date: '***012'"
    assert redact("2024-02-30 123456782") == "2024-02-30 ***782"


@pytest.mark.parametrize("text", [
    "line 16", "record 3", "rows 3, 5", "rows 3, 5, 12, 40", "line 40, column 14", "line 3:\n12345\n678",
    "record 1 (id=cdfe3968-0f12-4587-94ad-123456789752): dateOfBirth: not a date: '2024-02-30'",
    "not a date: '30/02/2024'", "line 3: '2024-02-30'", "record 12: '30/02/2024', 5 more",
    "updatedAt: not a timestamp: '1990-05-01T00:00:00+10:00'", "at 2024-05-01 12:30:45.123456+00: disk full",
    "IO Error: No space left on device: '/tmp/run-12/w.duckdb.wal'", "Level 3, 2019-01-05",
    "expected 12 columns, got 13", "wave 2: 3 of 40 practices",
], ids=ascii)
def test_redact_keeps_short_numbers_uuids_and_written_dates(text):
    assert redact(text) == text


def test_the_digits_redact_reads_are_every_character_python_reads_as_a_digit():
    """The superscript, circled and other digits that are no decimal digits are listed in landing.errors (computing them
    at import takes a third of a second): the list is every one the running Python's Unicode database has."""
    import re
    import unicodedata

    from landing.errors import _OTHER_DIGITS

    every = "".join(map(chr, range(0x110000)))
    want = [c for c in every if not c.isdecimal() and unicodedata.digit(c, None) is not None]
    assert re.findall(f"[{_OTHER_DIGITS}]", every) == want


def _digits(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None)


def test_a_tax_number_written_with_any_space_or_dash_or_in_full_width_digits_is_masked_everywhere(tmp_path):
    """Found by feeding the readers a stranger's text (session 28): a TFN written with no-break spaces, two spaces,
    en dashes or full-width digits was stored in clear (address, contact name, group name, legal name)."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    typed = list(AS_TYPED.values())
    doc["clients"][0]["address"]["line2"] = f"TFN {typed[0]}"
    doc["clients"][0]["contacts"][0]["name"] = f"Bob (TFN {typed[1]})"
    doc["clients"][0]["groups"][0]["name"] = typed[2]
    doc["clients"][0]["legalName"] = f"Legal {typed[3]}"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    text = json.dumps({n: getattr(frames, n).to_dicts() for n in ("client", "contact", "group_member")}, default=str, ensure_ascii=False)
    for plain, written in AS_TYPED.items():
        assert written not in text and plain.replace(" ", "") not in text, plain
    hq = frames.client.filter(pl.col("source_client_id") == "h-1").row(0, named=True)
    assert (hq["address_line2"], hq["legal_name"]) == ("TFN ***216", "Legal ***294")
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["name"].to_list() == ["Bob (TFN ***341)"]
    assert frames.group_member.filter(pl.col("group_id") == "hg-1")["group_name"].to_list() == ["***534"]


def test_a_tax_number_written_with_characters_that_show_as_nothing_or_beside_another_is_masked(tmp_path):
    """Session 30: a TFN written with zero-width spaces or soft hyphens (pasted from a web page, or typed in to hide
    it) was kept in clear, as were two numbers written one after the other with a single space, and a custom
    field's name with a zero-width space in it ("Bank\u200bAccount") was no secret's name."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["address"]["line2"] = "TFN 570\u200b178\u200b216"
    doc["clients"][0]["contacts"][0]["name"] = "Bob 632\u00ad374\u00ad341"
    doc["clients"][0]["groups"][0]["name"] = "775 762 534 956 206 294"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    hq = frames.client.filter(pl.col("source_client_id") == "h-1").row(0, named=True)
    assert hq["address_line2"] == "TFN ***216"
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["name"].to_list() == ["Bob ***341"]
    assert frames.group_member.filter(pl.col("group_id") == "hg-1")["group_name"].to_list() == ["***534 ***294"]
    for text in ("not a date: '570\u200b178\u200b216'", "not a date: " + repr("570\u200b178\u200b216")):
        assert "178" not in redact(text), text
    names = ["Bank\u200bAccount", "BankAccount", "TaxFileNumber", "PassportNo", "Notes", "Banksia Street"]
    # a secret with no digits: only its field's name says so (a number in any text field is one by its shape now)
    fields = pl.DataFrame({"practice_id": "P", "field_name": names, "value": "hunter two", "value_type": "text"})
    assert protect_custom_fields(fields, KEY)["is_secret"].to_list() == [True, True, True, True, False, False]


# custom fields' names QA (session 30) found were no secret's names, so a number with no check digit (or an 8-digit or
# slipped TFN) was kept in clear; then those flagged before, kept flagged
SECRET_NAMES = [
    "T.F.N.", "Tax-File-Number", "TFNs", "IRDNumber", "IRDno", "I.R.D.", "NI Number", "Sort Code", "A/C No", "Driver Lic",
    "DL", "DL Number", "Lic No", "Licenses", "S.S.N.", "Banking", "Account", "Accounts", "B/A", "Routing Number", "ABA",
    "TIN", "ITIN", "SIN", "Tax Identification Number", "NHS Number", "PPS Number", "Centrelink CRN",
    "Customer Reference Number", "USI", "Super Member No", "Pension No", "Visa Number", "Pwd", "PW", "P/W", "Pass", "Login",
    "Security answer", "Memorable word", "CC", "CVV",
    "BankAccountNumber", "DriversLicence", "PassportNo", "MedicareNo", "TaxFileNumber", "spouseTFN", "Tfn_spouse", "TFN2",
    "TFN-2", "T F N", "Bank acct", "Acct#", "Bank\u200bAccount", "BankAccount", "Tax #", "bankaccountnumber", "spousetfn",
    "Driver's Licence", "Credit Card", "PIN", "GST number", "National Insurance", "Account 2",
    # spelled out, credentials and what recovers them, members' and direct debits' numbers (QA, session 35)
    "Taxpayer ID", "Unique Taxpayer Reference", "Unique Taxpayer Ref", "Taxpayer identification number", "Employer ID",
    "National ID", "Security question", "Security Q", "Memorable info", "Security code", "Verification code", "2FA",
    "Two factor", "Backup codes", "Seed phrase", "API key", "Key", "Member number", "Superannuation fund member",
    "KiwiSaver member", "Birth certificate", "Direct debit", "DD details", "Acc", "Mastercard", "Amex", "PayPal",
    # other languages' (QA): accents, small words (de, di) and words run together whatever their writing
    "Numéro fiscal", "Steuernummer", "税号", "NIF", "Codice fiscale", "BSN", "Personnummer", "Steuer-ID",
    "numéro de sécurité sociale", "IBAN", "Steuer-Identifikationsnummer", "Steuer Nr.", "Sozialversicherungsnummer",
    "Kontonummer", "Konto", "Bankverbindung", "Número de identificación fiscal", "NIE", "DNI", "Burgerservicenummer",
    "Fødselsnummer", "Henkilötunnus", "Passeport", "Reisepass", "Mot de passe", "Passwort", "Contraseña", "PESEL",
    "CPF", "Nº fiscal", "Número de cuenta", "Compte bancaire", "身份证号", "银行账号", "纳税人识别号", "密码",
    "マイナンバー", "パスワード", "주민등록번호", "비밀번호", "ＮＩＦ",
]  # fmt: skip
# ordinary fields' names, some with a secret's word inside another word; "Cc list" is an email's copies (a "CC" alone is
# a credit card) and "Pass rate" a rate (a "Pass" alone a password)
ORDINARY_NAMES = [
    "Notes", "Banksia Street", "Year End", "Client Since", "Passion", "Compass Group", "Discount", "Accountant",
    "Account Manager", "Dlivery", "Tina's notes", "Sincerely", "Cc list", "Website", "Industry", "Fee", "Pass rate",
    "Thirdparty", "Annual Fee", "Referral Source", "Scorecard", "Cardiff office", "Public", "GST Registered", "Tax code",
    # other languages' ordinary names, some holding a word of a secret's name ("fiscal", "Steuer", "Konto", "numéro";
    # "nie" is never, "dni" days), and those of public registers (Partita IVA, numéro de TVA, SIRET: VAT and company)
    "Numéro client", "Fiscal Year End", "Steuerberater", "Steuerklasse", "Kontoinhaber", "Nie dzwonić", "Dni robocze",
    "税率", "客户名称", "备注", "纳税人类型", "Code postal", "Numéro de téléphone", "Partita IVA", "Numéro de TVA",
    "Numéro SIRET", "Compte de résultat", "Cuentas por cobrar", "Kontor", "Personal", "Passepartout", "Date de naissance",
    "Mot de bienvenue", "Sécurité", "Numero", "Steuer", "CPR training", "Ruth", "Dniester", "USt-IdNr",
    "Key contact", "Member since", "Security deposit", "National office", "Fund manager", "Direct line",
    "Identity verified", "Birth place", "Client key", "Keywords", "Kiwi fruit", "Pay rate",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_NAMES + ORDINARY_NAMES, ids=ascii)
def test_a_custom_field_named_like_a_secret_in_any_spelling_is_secret_and_an_ordinary_one_is_not(name):
    """QA, session 30: a name needed its secret's word bounded by non-letters, so abbreviations with dots, hyphenated
    names, plurals, "IRDNumber" and other countries' and credentials' labels were missed and the value kept in clear;
    QA: so were other languages' (Numéro fiscal, Steuernummer, 税号, NIF, Codice fiscale, BSN, Personnummer...)."""
    # a field typed a number: its name decides (in a text field a number of six digits or more is secret by its shape)
    got = protect_custom_fields(fields([(name, "number", "12345678"), (name, "number", None)]), KEY)
    secret = name in SECRET_NAMES
    assert got["is_secret"].to_list() == [secret, False], name
    assert got["value"].to_list() == [None if secret else "12345678", None]
    assert got["value_last3"].to_list() == (["678", None] if secret else [None, None])


@pytest.mark.parametrize(
    "typed",
    ["(570) 178-216", "570'178'216", "570\u2019178\u2019216", "570:178:216", "570|178|216", "570\u00b7178\u00b7216",
     "570#178#216", "570+178+216", "5*7*0*1*7*8*2*1*6", "[570] 178 216",
     "\u2075\u2077\u2070\u00b9\u2077\u2078\u00b2\u00b9\u2076", "\u2464\u2466\u24ea\u2460\u2466\u2467\u2461\u2460\u2465",
     "".join(f"{d}\ufe0f\u20e3" for d in "570178216"), "".join(f"{d}\u0301" for d in "570178216")],
)  # fmt: skip
def test_a_tax_number_written_with_brackets_quotes_colons_or_digits_of_other_kinds_is_masked(tmp_path, typed):
    """QA, session 30: a TFN written as a phone is ("(123) 456-782"), with Swiss thousands apostrophes, colons, pipes,
    middle dots, superscript or circled digits, keycaps or combining accents was kept in clear in free text."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["address"]["line2"] = f"TFN {typed} x"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    line2 = frames.client.filter(pl.col("source_client_id") == "h-1")["address_line2"][0]
    assert line2.startswith("TFN ") and "***216" in line2 and "178" not in line2, line2


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("\uff15\uff17\uff10\uff11\uff17\uff18\uff12\uff11\uff16", True),  # full-width digits
     ("TFN 570178216 (mob 0412)", True), ("0412 345 678", False), ("(02) 9999 1111 ext 23", False),
     ("ph (02) 9999 1111", False), ("+61 2 9999 1111", False),
     ("570178216 / 0412 345 678", True), ("570178216.00", True), ("02 9999 1111 / 0412 345 678", False),
     ("02.9999.1111", False), ("0412.345.678", False)],
)  # fmt: skip
def test_a_tax_number_in_a_phone_column_is_masked_in_any_digits_or_among_words(tmp_path, phone, masked):
    """QA, session 30: a phone cell was looked at only with eight or nine ASCII digits: a TFN in full-width digits, or
    with words beside it, was kept in clear; phones as people write them are left alone."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["phone"] = phone
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    kept = frames.client.filter(pl.col("source_client_id") == "h-1")["phone"][0]
    assert (kept != phone) == masked, kept
    if masked:
        assert "***216" in kept and "178" not in kept


def test_a_record_id_that_holds_a_tax_number_is_a_keyed_token_wherever_it_is_named(tmp_path):
    """QA, sessions 29 and 30: a TFN used as a Tax client code, or as an HQ id, was stored in clear as the record's key
    (crosswalk, lineage, exports). Such an id is replaced by a keyed token in every column that names the record, so
    the sync link to it still joins; other ids stay as written."""
    landing = zone(tmp_path)
    for name, old, new in (("tax_clients.csv", "T1,", "123 456 782,"), ("hq_clients.json", '"h-2"', '"876543210"'),
                           ("sync_links.csv", ",h-2,", ",876543210,")):  # fmt: skip
        path = landing / "P_AU" / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    everything = json.dumps({n: getattr(frames, n).to_dicts() for n in frames.names()}, default=str)
    assert "123456782" not in everything.replace(" ", "") and "876543210" not in everything
    tax = frames.client.filter(pl.col("source") == "tax")["source_client_id"].to_list()
    token = f"hashed-782-{KEY.digest('ID:123 456 782')[:16]}"
    assert token in tax and "T2" in tax  # an ordinary code as written
    hq = frames.client.filter(pl.col("source") == "hq")["source_client_id"].to_list()
    other = f"hashed-210-{KEY.digest('ID:876543210')[:16]}"
    assert hq == ["h-1", other]
    assert sorted(frames.sync_link["hq_client_id"].to_list()) == sorted(["h-1", other])  # the link still joins
    assert frames.identifier.filter(pl.col("source") == "tax")["source_client_id"].unique().sort().to_list() == sorted({token, "T2"} & set(tax))


def test_an_acn_that_is_a_valid_tax_number_too_is_kept_in_clear_only_where_an_abn_of_its_practice_embeds_it(tmp_path):
    """QA, session 29: a TFN typed as an AU company number that passes the ACN check too (about one in eleven) was kept
    in clear as an ACN. Such a number is hashed unless an ABN of its practice embeds it (a company's ABN is two check
    digits and its ACN); an ACN that is no tax number stays in clear."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    # a valid ACN and a valid TFN alone; an ACN that is no tax number; a valid ACN and TFN whose ABN another record holds
    doc["clients"][0]["identifiers"] = [{"type": "ACN", "value": "100 000 182"}, {"type": "ACN", "value": "004 085 616"},
                                        {"type": "ACN", "value": "100000253"}]  # fmt: skip
    doc["clients"][1]["identifiers"] = [{"type": "ABN", "value": "13 100 000 253"}]
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    acns = frames.identifier.filter((pl.col("id_type") == "ACN") & (pl.col("source") == "hq"))
    by_hash = {r["id_hash"]: r["id_value"] for r in acns.to_dicts()}
    assert by_hash == {KEY.digest("ACN:100000182"): None, KEY.digest("ACN:004085616"): "004085616",
                       KEY.digest("ACN:100000253"): "100000253"}  # fmt: skip
    assert "100000182" not in json.dumps(frames.client.to_dicts() + frames.identifier.to_dicts(), default=str)


@pytest.mark.parametrize(
    ("region", "label", "typed", "kept"),
    [
        ("AU", "ABN", "51 824 753 556 / TFN 123 456 782", None),  # a TFN beside the ABN in one field
        ("AU", "ABN", "TFN: 876-543-210; ABN 51 824 753 556", None),
        ("AU", "ACN", "004 085 616 TFN 876543210", None),
        ("AU", "ABN", "078-05-1120", None),  # a US SSN
        ("AU", "ACN", "2123 45670 1", None),  # a Medicare number
        ("AU", "ABN", "062-000 12345678", None),  # a BSB and account
        ("AU", "CRN", "204 736 915K", None),  # in Australia a CRN is a Centrelink customer reference
        ("AU", "ABN", "ABN 51 824 753 556", "51824753556"),  # a register's number, however written
        ("AU", "ACN", "004 085 616", "004085616"),
        ("NZ", "NZCN", "06-0158-0123456-00", None),  # a bank account
        ("NZ", "NZCN", "1234567 / IRD 136-410-132", None),
        ("NZ", "NZCN", "1234567", "001234567"),
        ("NZ", "NZBN", "9429041234567 IRD 49-091-850", None),
        ("UK", "CRN", "QQ123456C", None),  # a National Insurance number
        ("UK", "CRN", "SC123456 NI QQ123456C", None),
        ("UK", "CRN", "SC123456", "SC123456"),
        ("UK", "CRN", "1234567", "01234567"),
        ("US", "CRN", "078-05-1120", None),  # no register to check a company number against: hashed
    ],
)  # fmt: skip
def test_a_public_slot_keeps_in_clear_only_a_number_as_its_register_writes_it(region, label, typed, kept):
    """QA, session 30: anything typed in an ABN, ACN, NZBN or company number slot that failed the kind's check was kept
    in clear, so a TFN written beside an ABN, an SSN, a bank account, a passport or a National Insurance number was."""
    long = pl.DataFrame({"source": ["hq"], "source_client_id": ["h-1"], "id_type": [label], "value": [typed]})
    ident = identifiers(long, "P", region, KEY)
    row = ident.row(0, named=True)
    assert row["id_value"] == kept, (typed, row)
    assert row["id_hash"] and row["id_last3"]
    if kept is None:
        digits = "".join(c for c in typed if c.isdigit())
        assert digits not in json.dumps(ident.to_dicts(), default=str)


def test_a_tax_number_in_a_public_identifiers_slot_is_hashed_not_kept_as_that_kind(tmp_path):
    """Found by feeding the readers a stranger's data (session 28): a TFN typed as an HQ ABN, or in Tax's abn column,
    was kept in clear as an (invalid) ABN. A number that fails its kind's check but is a valid TFN or IRD is hashed;
    a mistyped ABN is hashed too (session 30), a valid ABN kept in clear."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][1]["identifiers"] = [{"type": "ABN", "value": "303 849 597"}, {"type": "ABN", "value": "51824753557"}]
    path.write_text(json.dumps(doc))
    tax = landing / "P_AU" / "tax_clients.csv"
    tax.write_text(tax.read_text().replace("51824753556", "483100304"))  # T2's abn
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    ids = frames.identifier.filter(pl.col("id_type") == "ABN")
    assert "303849597" not in json.dumps(frames.client.to_dicts() + ids.to_dicts(), default=str)
    assert "483100304" not in json.dumps(frames.client.to_dicts() + ids.to_dicts(), default=str)
    hidden = ids.filter(pl.col("id_hash").is_in([KEY.digest("ABN:303849597"), KEY.digest("ABN:483100304")]))
    assert hidden.height == 2 and hidden["id_value"].null_count() == 2 and hidden["id_last3"].sort().to_list() == ["304", "597"]
    # a slip of an ABN (check fails) is no register's number: hashed too, its last three kept (session 30: kept as
    # written, so anything typed in an ABN slot was, a TFN beside an ABN in one field among them)
    slip = ids.filter(pl.col("id_hash") == KEY.digest("ABN:51824753557")).row(0, named=True)
    assert (slip["id_value"], slip["id_last3"]) == (None, "557")
    assert "51824753556" in ids["id_value"].to_list()  # h-1's valid ABN


def test_a_tax_number_as_a_company_number_with_no_check_digits_is_hashed_and_a_company_number_kept(tmp_path):
    """Found by QA (session 29): an IRD number typed as an NZ company number (XPM CompanyNumber, HQ CRN) was kept in
    clear: an NZ company number has no check digits, so the tax-number check of a public slot never looked at it."""
    landing = zone(tmp_path)
    path = landing / "P-NZ" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["identifiers"] = [{"type": "CRN", "value": "49-091-850"}, {"type": "CRN", "value": "1234567"},
                                        {"type": "Company Number", "value": "123 456 782"}, {"type": "CRN", "value": "12345678"}]
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P-NZ"), KEY)
    ids = frames.identifier.filter(pl.col("source") == "hq")
    text = json.dumps(frames.client.to_dicts() + ids.to_dicts(), default=str)
    assert "49091850" not in text and "123456782" not in text  # an IRD, a TFN: hashed, last three kept
    hidden = ids.filter(pl.col("id_value").is_null() & pl.col("id_type").is_in(["NZCN"]))
    assert sorted(hidden["id_last3"].to_list()) == ["782", "850"], ids
    assert {"001234567", "012345678"} <= set(ids["id_value"].drop_nulls().to_list())  # company numbers (canonical), no tax number


def test_a_date_field_holding_a_tax_number_is_secret_and_a_date_written_yyyymmdd_is_not():
    """Found by feeding the readers a stranger's data (session 28): a custom field declared a date was never checked."""
    got = protect_custom_fields(fields([("Year End", "date", "281026748"), ("Year End", "date", "20230630"),
                                        ("Year End", "date", "2023-06-30")]), KEY)  # fmt: skip
    assert got["is_secret"].to_list() == [True, False, False]
    assert got["value"].to_list() == [None, "20230630", "2023-06-30"]


def test_a_tax_number_typed_into_a_phone_or_the_client_type_is_masked_and_phones_are_left_as_written(tmp_path):
    """Found by feeding the readers a stranger's data (session 28): a TFN in HQ's phone or type was kept in clear.
    A phone column's value is looked at only when it cannot be a phone as written (eight or nine digits in all, no
    trunk prefix 0, no country code +)."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["phone"] = "570 178 216"
    doc["clients"][0]["contacts"][0]["phone"] = "(03) 5701 7821"  # an area code in brackets: a phone
    doc["clients"][1]["phone"] = "+61 570 178 216"  # a country code: a phone, whatever its digits
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    hq = {r["source_client_id"]: r for r in frames.client.filter(pl.col("source") == "hq").iter_rows(named=True)}
    assert hq["h-1"]["phone"] == "***216"
    assert hq["h-2"]["phone"] == "+61 570 178 216"
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["phone"].to_list() == ["(03) 5701 7821"]
    # a TFN as the type is no PERSON or ORGANISATION: bad input since session 29, its value not quoted
    doc["clients"][1]["type"] = "632374341"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as info:
        read_practice(landing, practice(landing, "P_AU"), KEY)
    assert str(info.value) == "hq_clients.json: record 2 (id=h-2): type is none of PERSON, ORGANISATION"


def test_an_unexpected_errors_text_is_never_kept_only_its_kind_and_place():
    """Found by QA (session 29): a UnicodeEncodeError's text was the client's whole record (a passport number in clear)
    stored as the practice's failure detail; an unexpected error is said as its kind and where it was raised."""
    from landing.errors import unexpected

    try:
        '{"identifiers":[{"type":"Passport","value":"PA1234567"}],"name":"x\ud83d"}'.encode()
    except UnicodeEncodeError as exc:
        said = unexpected("extract", exc)
    assert said.startswith("extract: unexpected error: UnicodeEncodeError at tests/landing/test_secrets.py:"), said
    assert "PA1234567" not in said and "Passport" not in said and said.endswith("(its text is not kept: it may quote a record)")


def test_full_width_separators_short_secrets_and_identifiers_in_other_digits(tmp_path):
    """QA, session 30: a TFN typed with an Asian input method's full-width hyphens or ideographic commas was kept in
    clear; a PIN's hash kept three of its four digits beside it; an identifier typed in full-width or Arabic-Indic
    digits was dropped, lost for matching."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["address"]["line2"] = "TFN \uff15\uff17\uff10\uff0d\uff11\uff17\uff18\uff0d\uff12\uff11\uff16"
    doc["clients"][0]["contacts"][0]["name"] = "Bob \uff16\uff13\uff12\u3001\uff13\uff17\uff14\u3001\uff13\uff14\uff11"
    doc["clients"][1]["identifiers"] = [{"type": "TFN", "value": "\u0668\u0667\u0666\u0665\u0664\u0663\u0662\u0661\u0660"},
                                        {"type": "PIN", "value": "4821"}]  # fmt: skip
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    assert frames.client.filter(pl.col("source_client_id") == "h-1")["address_line2"][0] == "TFN ***216"
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["name"].to_list() == ["Bob ***341"]
    ids = {r["id_type"]: r for r in frames.identifier.filter(pl.col("source_client_id") == "h-2").to_dicts()}
    assert ids["TFN"]["id_hash"] == KEY.digest("TFN:876543210") and ids["TFN"]["id_last3"] == "210"
    assert ids["PIN"]["id_hash"] == KEY.digest("PIN:4821") and ids["PIN"]["id_last3"] is None
    assert redact("not a date: '\uff18\uff17\uff16\uff0f\uff15\uff14\uff13\uff0f\uff12\uff11\uff10'") == "not a date: '***210'"


def test_a_tax_number_split_by_line_breaks_or_wide_gaps_is_masked_and_a_multi_line_address_kept(tmp_path):
    """QA: free text kept a TFN in clear when its groups were split by a line break (a multi-line XPM address, a quoted
    multi-line CSV cell: "\\n", "\\r", "\\r\\n", after a dash) or by four or more spaces; columns are still searched
    apart, and an address with a house number on one line and a postcode on the next is kept as written."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["address"]["line2"] = "Unit 5 TFN 570\n178\n216"
    doc["clients"][0]["contacts"][0]["name"] = "Bob 632\r374\r341"
    doc["clients"][0]["groups"][0]["name"] = "300-\n000681"
    doc["clients"][0]["legalName"] = "Legal 775    762    534"
    # (not "Suite 1204\r\n2000": 12042000 is a valid IRD number, masked as on one line)
    doc["clients"][1]["address"] = {"line1": "Unit 12\n345 Smith Street\nSydney NSW 2000", "line2": "Suite 1205\r\n2000"}
    path.write_text(json.dumps(doc))
    xpm = landing / "P_AU" / "xpm_clients.xml"
    xpm.write_text(xpm.read_text().replace("<Address>1 George St</Address>", "<Address>Unit 5 TFN 956\n206\n294</Address>"))
    tax = landing / "P_AU" / "tax_clients.csv"
    tax.write_text(tax.read_text().replace('"Unit 1\n2 George St"', '"TFN 123\r\n456\r\n782\nUnit 1\n2 George St"'))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    client = frames.client
    hq = client.filter(pl.col("source_client_id") == "h-1").row(0, named=True)
    assert (hq["address_line2"], hq["legal_name"]) == ("Unit 5 TFN ***216", "Legal ***534")
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["name"].to_list() == ["Bob ***341"]
    assert frames.group_member.filter(pl.col("group_id") == "hg-1")["group_name"].to_list() == ["***681"]
    assert client.filter(pl.col("source_client_id") == "x-1")["address_line1"].to_list() == ["Unit 5 TFN ***294"]
    assert client.filter(pl.col("source") == "tax")["postal_line1"][0] == "TFN ***782\nUnit 1\n2 George St"
    kept = client.filter(pl.col("source_client_id") == "h-2").row(0, named=True)
    assert (kept["address_line1"], kept["address_line2"]) == ("Unit 12\n345 Smith Street\nSydney NSW 2000", "Suite 1205\r\n2000")
    cells = [re.sub(r"\D", "", v) for n in ("client", "contact", "group_member") for row in getattr(frames, n).iter_rows()
             for v in row if isinstance(v, str)]  # fmt: skip
    for number in ("570178216", "632374341", "300000681", "775762534", "956206294", "123456782"):
        assert not any(number in c for c in cells), number


UK_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>uk-1</UUID><Name>Tweed Ltd UTR 1955839612</Name><Address>UTR 19558 39609</Address>
<PostalAddress>Tel +44 20 7946 0006, 020 7946 0007 or +44 (0)20 7946 0037</PostalAddress>
<Phone>UTR 1955839609</Phone><Mobile>07700 900113</Mobile><Fax>7700900127</Fax>
<CustomFields>
<CustomField><UUID>f-1</UUID><Name>Notes</Name><Text>UTR 1955839612</Text></CustomField>
<CustomField><UUID>f-2</UUID><Name>Switchboard</Name><Text>020 7946 0023 / +44 20 7946 0024</Text></CustomField>
<CustomField><UUID>f-3</UUID><Name>Fee</Name><Number>1234567890</Number></CustomField>
</CustomFields></Client>
</Clients></Response>"""


def test_a_utr_in_a_uk_practices_free_text_or_custom_field_is_masked_and_phones_are_not(tmp_path):
    """QA: a UK UTR (ten digits, a check digit: stdnum.gb.utr) typed into a UK practice's free text or a custom field
    with an ordinary name was kept in clear. A UK phone is no UTR: it starts with its trunk prefix 0 or the country
    code 44 (about one ten-digit phone in eleven passes the check); elsewhere a UTR is no tax number of the region."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(UK_XPM)
    uk = read_xpm(path, "P_UK", "UK", KEY)
    c = uk.client.row(0, named=True)
    assert (c["name"], c["address_line1"]) == ("Tweed Ltd UTR ***612", "UTR ***609")
    assert c["postal_line1"] == "Tel +44 20 7946 0006, 020 7946 0007 or +44 (0)20 7946 0037"  # phones, kept
    # a phone cell of ten digits alone is a phone whose 0 a spreadsheet dropped, though 7700900127 passes the check
    assert (c["phone"], c["mobile"], c["fax"]) == ("UTR ***609", "07700 900113", "7700900127")
    fields = uk.custom_field.sort("field_id")
    assert fields["is_secret"].to_list() == [True, False, False]
    assert fields["value"].to_list() == [None, "020 7946 0023 / +44 20 7946 0024", "1234567890"]
    assert fields["value_hash"][0] == KEY.digest("FREE:UTR1955839612") and fields["value_last3"][0] == "612"
    for region in ("AU", "NZ"):  # a UTR is a UK number: kept as written elsewhere
        other = read_xpm(path, "P_X", region, KEY)
        assert other.client["address_line1"].to_list() == ["UTR 19558 39609"], region
        # ... but in a text custom field ten digits that are no phone are an identifier's shape, secret anywhere
        assert other.custom_field.sort("field_id")["is_secret"].to_list() == [True, False, False], region


def test_redact_masks_a_number_parted_by_wide_gaps():
    """QA: '123    456    782' (four spaces or more between the groups) was quoted in full in a message."""
    for typed in ("123    456    782", "123" + " " * 40 + "456\t\t\t\t\t782"):
        assert redact(f"not a date: '{typed}'") == "not a date: '***782'", typed
    assert redact("rows 3,     5") == "rows 3,     5"
    started = time.perf_counter()
    redact("1" + " " * 50_000 + "x 2" + "  " * 20_000)  # long gaps cost no backtracking
    assert time.perf_counter() - started < 1


# a tax number split by one line break inside its grouping, as a message quotes a multi-line cell: after a dash the
# number goes on whatever it is (an SSN's "123-45-\n6789" too); with no dash the two lines' numbers are joined only when
# together they are a valid TFN, IRD number or UTR ("300000\n681"), not two short numbers one above the other
SPLIT_BY_A_LINE_BREAK = [
    ("300-\n000681", "***681"), ("300-\r\n000-681", "***681"), ("300 -\n 000 681", "***681"), ("300-000-\n681", "***681"),
    ("123-45-\n6789", "***789"), ("300\n000681", "***681"), ("300000\n681", "***681"), ("300000\r\n681", "***681"),
    ("300000 \n 681", "***681"), ("49\n091850", "***850"), ("49091\n850", "***850"), ("19558\n39609", "***609"),
    ("TFN 570178\n216 thanks", "TFN ***216 thanks"), ("Suite 1204\n2000", "Suite ***000"),
]


@pytest.mark.parametrize(("typed", "masked"), SPLIT_BY_A_LINE_BREAK, ids=ascii)
def test_redact_masks_a_tax_number_split_by_a_line_break_inside_its_grouping(typed, masked):
    """QA: "300-\n000681" (a line broken after a dash) and "300000\n681" were quoted in full in a message: a line break
    joined only groups of two to four digits."""
    assert redact(f"not a date: '{typed}'") == f"not a date: '{masked}'"
    assert redact(typed) == masked


@pytest.mark.parametrize("text", [
    "line 3:\n12345\n678", "rows\n12345\n678", "12\n345678", "Unit 12\n345 Smith Street", "rows 12345,\n678",
    "12345\n- 678", "12345.\n678",
], ids=ascii)
def test_redact_keeps_two_short_numbers_on_adjacent_lines(text):
    assert redact(text) == text


PHONES_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>ph-1</UUID><Name>Tweed Ltd</Name><Address>Flat 2\n14 Smith St\nLondon SW1A 1AA\n+44 20 7946 0958</Address>
<PostalAddress>Tel +61 2 9250 0018 / +44 (0)20 7946 0958</PostalAddress>
<CustomFields><CustomField><UUID>f-1</UUID><Name>Notes</Name><Text>Call +44 20 7946 0958</Text></CustomField></CustomFields>
</Client>
<Client><UUID>ph-3</UUID><Name>Ibis Pty</Name><Address>+61 2 9250 0018\n123 456 782</Address>
<PostalAddress>Ph +44 20 7946 0958\nTFN: 123-456-782</PostalAddress>
<CustomFields><CustomField><UUID>f-2</UUID><Name>Notes</Name><Text>+61 2 9250 0018\n123\n456\n782</Text></CustomField></CustomFields>
</Client>
<Client><UUID>ph-4</UUID><Name>Kiwi Ltd 049-091-850</Name><Address>IRD 049 091 850</Address></Client>
</Clients></Response>"""
# phones written with a trunk prefix: of a practice's own country or another's (92500018 and 79460958 pass the TFN
# check; "(02) 9250 0018" is an NZ number too); a found number is masked wherever its practice writes it, so these
# are read apart from the ones above
TRUNK_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>ph-2</UUID><Name>Heron Pty</Name><Address>Tel (02) 9250 0018</Address><PostalAddress>Tel 020 7946 0958</PostalAddress></Client>
<Client><UUID>ph-5</UUID><Name>Egret Pty</Name><Address>Ph 02 9250 0018\nTFN: 123-456-782</Address></Client>
</Clients></Response>"""


@pytest.mark.parametrize("region", ["AU", "NZ", "UK", "US", "ROW"])
def test_a_phone_written_with_its_country_code_or_trunk_prefix_is_kept_and_a_tax_number_beside_it_masked(tmp_path, region):
    """QA7: "+44 20 7946 0958" in an address was masked as a TFN, in any practice: its stretch 420794609 passes the TFN
    check. A phone written with a country code, or with the trunk prefix 0 of the practice's country and ten digits or
    more, is a phone; a TFN beside it, on a line of its own, is masked still, and a number of eight or nine digits
    is looked at whole however it starts ("049-091-850" is an NZ phone and an IRD number)."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(PHONES_XPM)
    frames = read_xpm(path, "P_X", region, KEY)
    c = {r["source_client_id"]: r for r in frames.client.iter_rows(named=True)}
    assert c["ph-1"]["address_line1"] == "Flat 2\n14 Smith St\nLondon SW1A 1AA\n+44 20 7946 0958"
    assert c["ph-1"]["postal_line1"] == "Tel +61 2 9250 0018 / +44 (0)20 7946 0958"
    assert c["ph-3"]["address_line1"] == "+61 2 9250 0018\n***782"
    assert c["ph-3"]["postal_line1"] == "Ph +44 20 7946 0958\nTFN: ***782"
    assert (c["ph-4"]["name"], c["ph-4"]["address_line1"]) == ("Kiwi Ltd ***850", "IRD ***850")
    fields = frames.custom_field.sort("field_id")
    assert fields["is_secret"].to_list() == [False, True]
    assert fields["value"].to_list() == ["Call +44 20 7946 0958", None]
    path.write_text(TRUNK_XPM)
    c = {r["source_client_id"]: r for r in read_xpm(path, "P_X", region, KEY).client.iter_rows(named=True)}
    # a phone of another of the four countries written with its own trunk prefix is a phone too (session 33)
    assert (c["ph-2"]["address_line1"], c["ph-2"]["postal_line1"]) == ("Tel (02) 9250 0018", "Tel 020 7946 0958")
    assert c["ph-5"]["address_line1"] == "Ph 02 9250 0018\nTFN: ***782"


# a TFN written in its own grouping, or whole, after a "0" or "0x": the digits make a valid phone number written with its
# trunk prefix ("0 300 000 681" of AU, "02 123 456 782" of NZ, "03 775 762 534" of the UK)
TRUNK_TAX_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>tt-1</UUID><Name>Stork Pty</Name><Address>TFN 0 300 000 681</Address><PostalAddress>TFN 0 300000681</PostalAddress></Client>
<Client><UUID>tt-2</UUID><Name>Crane Ltd</Name><Address>TFN 02 123 456 782</Address><PostalAddress>TFN 03 775 762 534</PostalAddress></Client>
</Clients></Response>"""


@pytest.mark.parametrize("region", ["AU", "NZ", "UK", "US", "ROW"])
def test_a_tax_number_written_in_its_grouping_after_a_trunk_prefix_is_masked_in_every_practice(tmp_path, region):
    """Found in session 33: "TFN 0 300 000 681" in an AU practice, "TFN 02 123 456 782" in an NZ one and "TFN 03 775 762
    534" in a UK one were kept in clear: with the digits before it the number is a valid phone of the practice's country
    written with its trunk prefix 0, and no stretch of such a phone was looked at. A phone's groups never make a tax number's grouping (3-3-3,
    2-3-3, 3-3-2 or one group of eight to ten): a stretch written so is looked at inside a phone too."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(TRUNK_TAX_XPM)
    c = {r["source_client_id"]: r for r in read_xpm(path, "P_X", region, KEY).client.iter_rows(named=True)}
    assert (c["tt-1"]["address_line1"], c["tt-1"]["postal_line1"]) == ("TFN 0 ***681", "TFN 0 ***681")
    assert (c["tt-2"]["address_line1"], c["tt-2"]["postal_line1"]) == ("TFN 02 ***782", "TFN 03 ***534")


# phones of the four countries as each writes them at home, a stretch of each a valid tax number: 79460958 an IRD
# number, 92500018 and 07911112 TFNs, 2125550102 a UTR
FOREIGN_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>fp-1</UUID><Name>Gull Ltd</Name><Address>London office 020 7946 0958</Address>
<PostalAddress>Sydney office (02) 9250 0018</PostalAddress></Client>
<Client><UUID>fp-2</UUID><Name>Tern Ltd</Name><Address>Mob 07911 112 345</Address><PostalAddress>NY 1 (212) 555-0102</PostalAddress></Client>
<Client><UUID>fp-3</UUID><Name>Auk Ltd</Name><Address>TFN 07 570 178 216</Address><PostalAddress>UTR 1 21255 50102</PostalAddress></Client>
</Clients></Response>"""


@pytest.mark.parametrize("region", ["AU", "NZ", "UK", "US", "ROW"])
def test_a_phone_of_another_country_written_with_its_own_trunk_prefix_is_kept_in_every_practice(tmp_path, region):
    """QA: a UK "020 7946 0958" in an AU practice's free text was masked as a TFN (its stretch 7946 0958 passes the IRD
    check), an AU "(02) 9250 0018" in a UK one, a UK mobile "07911 112 345" in an AU one, a US "1 (212) 555-0102" as a
    UTR in a UK one. A valid number of AU, NZ or the UK after its trunk prefix 0 (ten digits or more), or of the US after
    its 1 (eleven), is a phone in any practice; a stretch of it written as a tax number is grouped is looked at still
    (07 570 178 216 is a valid UK number, 1 21255 50102 a valid US one)."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(FOREIGN_XPM)
    c = {r["source_client_id"]: r for r in read_xpm(path, "P_X", region, KEY).client.iter_rows(named=True)}
    assert (c["fp-1"]["address_line1"], c["fp-1"]["postal_line1"]) == ("London office 020 7946 0958", "Sydney office (02) 9250 0018")
    assert (c["fp-2"]["address_line1"], c["fp-2"]["postal_line1"]) == ("Mob 07911 112 345", "NY 1 (212) 555-0102")
    assert c["fp-3"]["address_line1"] == "TFN 07 ***216"
    assert c["fp-3"]["postal_line1"] == ("UTR 1 ***102" if region == "UK" else "UTR 1 21255 50102")


UK_IDS_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>1955839609</UUID><Name>Tweed Ltd</Name>
<CustomFields><CustomField><UUID>UTR-19558-39612</UUID><Name>Fee</Name><Text>12</Text></CustomField></CustomFields></Client>
<Client><UUID>0207946095</UUID><Name>Heron Ltd</Name></Client>
</Clients></Response>"""


@pytest.mark.parametrize("region", ["UK", "AU"])
def test_a_record_id_that_holds_a_utr_in_a_uk_practice_is_a_keyed_token(tmp_path, region):
    """Session 33: an id holding a UK UTR (a client's UUID, a custom field's id) was stored in clear in a UK practice:
    ids were searched for TFNs and IRD numbers only. In a UK practice a UTR is one (as in free text: ten digits whose
    check digit passes and that start with no 0); elsewhere the id is kept as written."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(UK_IDS_XPM)
    frames = read_xpm(path, "P_X", region, KEY)
    ids = frames.client["source_client_id"].to_list()
    fields = frames.custom_field["field_id"].to_list()
    if region == "UK":
        assert ids == [f"hashed-609-{KEY.digest('ID:1955839609')[:16]}", "0207946095"]
        assert fields == [f"hashed-612-{KEY.digest('ID:UTR-19558-39612')[:16]}"]
        everything = json.dumps({n: getattr(frames, n).to_dicts() for n in frames.names()}, default=str)
        assert "1955839609" not in everything and "39612" not in everything
    else:
        assert (ids, fields) == (["1955839609", "0207946095"], ["UTR-19558-39612"])



def test_a_run_and_a_stretch_of_it_both_found_are_masked_as_the_run(tmp_path):
    """Session 33: a UTR written "471 519 473 2" in a UK practice was masked as "***473 2": its stretch 471 519 473 is a
    TFN, and of two numbers found starting at one place the mask took the one that ends first. The longest is masked."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(UK_IDS_XPM.replace("<Name>Tweed Ltd</Name>", "<Name>Tweed Ltd</Name><Address>UTR 471 519 473 2</Address>"))
    client = read_xpm(path, "P_UK", "UK", KEY).client
    assert client["address_line1"].to_list() == ["UTR ***732", None]


BESIDE_A_DIGIT_XPM = """<Response api-method="List"><Status>OK</Status><Clients>
<Client><UUID>bd-1</UUID><Name>Kea Ltd</Name><Address>Level 3 49-091-850</Address><PostalAddress>Unit 3 1234 5678</PostalAddress></Client>
<Client><UUID>bd-2 49-091-850</UUID><Name>Tui Ltd, Level 3 123 456 782</Name><Address>Level 2 4909 1850</Address></Client>
</Clients></Response>"""


def test_an_eight_digit_tax_number_beside_one_more_digit_is_masked(tmp_path):
    """Session 33: "Level 3 49-091-850" kept an eight-digit IRD number in clear: with the 3 it is one run of nine digits,
    and a run of nine was looked at whole only. Its stretches of eight are looked at too, as that number written alone
    would be (in free text and in a record id); a nine-digit TFN is found whole as before, and an eight-digit number
    that is no tax number is kept."""
    from landing.xpm import read_xpm

    path = tmp_path / "xpm_clients.xml"
    path.write_text(BESIDE_A_DIGIT_XPM)
    frames = read_xpm(path, "P_NZ", "NZ", KEY)
    c = {r["name"]: r for r in frames.client.iter_rows(named=True)}
    assert (c["Kea Ltd"]["address_line1"], c["Kea Ltd"]["postal_line1"]) == ("Level 3 ***850", "Unit 3 1234 5678")
    tui = c["Tui Ltd, Level 3 ***782"]
    assert tui["address_line1"] == "Level 2 ***850"
    assert tui["source_client_id"] == f"hashed-850-{KEY.digest('ID:bd-2 49-091-850')[:16]}"


def test_a_number_of_an_identifiers_shape_in_a_text_custom_field_is_secret_whatever_the_fields_name():
    """QA (session 35): an SSN under "Taxpayer ID", a UTR under "Unique Taxpayer Reference" outside the UK, a National
    Insurance number under "National ID" and a member number were kept in clear: no list of names holds every name a
    stranger gives a field. A text field's value with six digits or more in a run is secret unless the run is a date,
    an amount or a phone as written."""
    rows = [
        ("Notes", "text", "078-05-1120"), ("Other", "text", "8234567890"), ("Ref", "text", "AB 12 34 56 C"),
        ("Ref", "text", "PA1234567"), ("Ref", "text", "BSB 062-000"), ("Ref", "text", "member 1234567 since 2019"),
        ("Phone", "text", "0412 345 678"), ("Phone", "text", "+44 20 7946 0958"), ("When", "text", "30/06/2024"),
        ("When", "text", "20240630"), ("Fee", "text", "125000.00"), ("Fee", "text", "1,250,000"),
        ("Since", "text", "client since 2019"), ("Version", "text", "1.2.3/45678"), ("Turnover", "number", "2500000"),
    ]  # fmt: skip
    secret = [True] * 6 + [False] * 9
    for region in ("AU", "NZ", "UK", "US"):
        got = protect_custom_fields(fields(rows), KEY, {"P1": region})
        assert got["is_secret"].to_list() == secret, region
        assert got.filter(pl.col("is_secret"))["value"].null_count() == 6
        assert got.filter(pl.col("is_secret"))["value_last3"].to_list() == ["120", "890", "56C", "567", "000", "019"]
    # ten digits are a US phone only in a US practice (written there without its 1)
    us = fields([("Phone", "text", "(212) 555-0102")])
    assert [protect_custom_fields(us, KEY, {"P1": r})["is_secret"][0] for r in ("US", "AU")] == [False, True]


def test_a_tax_number_typed_into_an_email_column_is_masked_and_emails_are_left_as_written(tmp_path):
    """QA (session 35): a TFN typed into HQ's email ("724 474 742"), a contact's ("tfn 724474742") or as an address's
    local part was stored and promoted in clear, though the same record's TFN was hashed."""
    landing = zone(tmp_path)
    path = landing / "P_AU" / "hq_clients.json"
    doc = json.loads(path.read_text())
    doc["clients"][0]["email"] = "724 474 742"
    doc["clients"][0]["contacts"][0]["email"] = "tfn 724474742"
    doc["clients"][1]["email"] = "611857756@example.com"
    path.write_text(json.dumps(doc))
    frames = read_practice(landing, practice(landing, "P_AU"), KEY)
    emails = dict(frames.client.filter(pl.col("source") == "hq").select("source_client_id", "email").iter_rows())
    assert (emails["h-1"], emails["h-2"]) == ("***742", "***756@example.com")
    assert frames.contact.filter(pl.col("contact_id") == "hc-1")["email"].to_list() == ["tfn ***742"]
    kept = frames.client.filter(pl.col("source") == "xpm")["email"].drop_nulls().to_list()
    assert kept and all("***" not in e for e in kept)  # addresses with no tax number in them, as written
