"""Secrets typed into free text: custom fields that hold one are hashed and flagged; tax numbers elsewhere masked.

What we choose, and why:
- A custom field is secret when its name says so (TFN, IRD, tax/GST number, UTR, SSN, SIN, TIN, NI number, bank, BSB,
  sort code, account number, card, passport, licence, Medicare, password, PIN, login...; `secret_field_name`: the name
  read as words whatever its writing: "T.F.N.", "Tax-File-Number", "IRDNumber", "TFNs", "A/C No", "Bank\u200bAccount";
  "Account", "DL", "CC" or "Pass" alone; not "Accountant", "Banksia", "Cc list" or "Pass rate"; other languages' too,
  accents dropped: "Numéro fiscal", "Steuernummer", "Steuer-ID", "Codice fiscale", "NIF", "BSN", "Personnummer",
  "numéro de sécurité sociale", "Mot de passe", "税号", "パスワード"; not "Fiscal Year End", "Steuerberater",
  "Partita IVA" or "税率") or when its value holds
  a check-digit-valid TFN or IRD number (in a UK practice, or a UTR: below). Its value is then kept only as `value_hash` (HMAC of its letters and digits) and
  `value_last3`, with `is_secret` set; `value` is null.
- Any other free-text column (names, addresses, positions, group and organisation names) has every
  check-digit-valid TFN or IRD number in it replaced by `***` and its last three digits.
- In a UK practice a UTR counts as those do (QA found one kept in clear in an address and in a custom field named
  "Notes"; session 33 in the practice's name and a record's id: tax_number_runs with `utr`): ten digits whose check digit passes (stdnum.gb.utr), unless written as a UK phone is, which about one
  ten-digit phone number in eleven passes: a run starting with the trunk prefix 0 ("020 7946 0006"), or with the
  country code 44 ("+44 20 7946 0006"), is a phone (_is_utr). A phone written without either that passes the check
  is masked; ten digits alone in a phone column are not (a spreadsheet drops a phone's leading 0).
- A phone written in free text is no tax number in any practice (QA7: "+44 20 7946 0958" in an address was masked,
  its stretch 420794609 passing the TFN check): a part of a run that starts with a country code ("+44 20 7946 0958")
  or, with ten digits or more, with the trunk prefix 0 ("020 7946 0958"), or with eleven with the US's 1 ("1 (212)
  555-0102"), and that phonenumbers calls a valid number (for the trunk prefix, of AU, NZ, the UK or the US, whatever
  the practice's country: QA found a UK phone masked as a TFN in an AU practice), has no stretch of it looked at (_in_phone),
  unless, after a trunk prefix, the stretch is written as a tax number's digits are grouped (3-3-3, 2-3-3, 3-3-2, 5-5
  or whole), which a phone's groups never make: "TFN 0 300 000 681" was kept in clear in an AU practice (session 33).
  A run of eight or nine digits is looked at whole however it starts: "049-091-850" is an NZ phone and an IRD number.
- A number is a run of digits with up to three spaces, dots, commas, underscores, dashes or slashes between them, as
  people write numbers (`123,456,782` as a spreadsheet's number format writes it): any Unicode space (a no-break space pasted from a web page), any dash (Word's en dash), any decimal
  digit (full-width ones from an Asian input method); a run of spaces and line breaks, however long, is one of the
  three ("123\n456\n782" in a multi-line address or CSV cell, "123    456    782"), but a run never spans two columns;
  a run's parts between dots, slashes or line breaks, or between wide gaps,
  count too, since a tax number is written against other digits that way ("123456782.00", "123456782/2023",
  "123 456 782   0412 345 678"). Session 28 found a TFN kept in clear written with no-break spaces, two spaces,
  en dashes or full-width digits; QA one on lines of its own or parted by four spaces.
- Phones and emails are matching evidence and are left alone but for tax numbers written whole in them (a phone
  column: when it cannot be a phone as written; an email column: always, QA session 35); numbers with no check digit
  (SSN, bank accounts), and a UTR outside a UK practice, cannot be told from other numbers in free text; in a custom
  field's text they are secret by their shape (_identifier_rows: six digits or more in a run that are no date, amount
  or phone), elsewhere (a name, an address) they are not caught.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import phonenumbers
import polars as pl
from stdnum.au import tfn
from stdnum.gb import utr
from stdnum.nz import ird

from landing.errors import DIGIT, HIDDEN_CHARS, INVISIBLE, PUNCT
from landing.secrets import HashKey
from landing.values import last_three

__all__ = ["secret_field_name", "tax_number_runs", "practice_runs", "mask_runs", "protect_custom_fields", "protect_free_text"]

log = logging.getLogger("scr.landing")

# A custom field is secret by its name when the name, read as words whatever its writing, says so. QA (session 30)
# found secrets' names missed in common spellings: dotted abbreviations (T.F.N., S.S.N.), hyphens (Tax-File-Number),
# plurals (TFNs), a capitalised abbreviation before a word (IRDNumber, IRDno), labels of other countries' numbers
# (NI Number, Sort Code, SIN, NHS Number) and of credentials (Pwd, P/W, Login, Memorable word).
def _fold(text: str) -> str:
    """`text` without accents: a letter and the marks drawn on it apart, the marks left out, the rest put back together
    (a Korean syllable is its letters apart too); compatibility forms read as what they stand for (full-width letters,
    "º")."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)))


# QA found the labels of other languages missed (Numéro fiscal, Steuernummer, 税号, NIF, Codice fiscale, BSN,
# Personnummer, Steuer-ID, numéro de sécurité sociale): a name is read with its accents dropped (numero, securite), its
# small words of other languages (de, di, der...) left out, and those languages' words below.
# words that say "the number of": after a kind's word they make it a secret's name ("NI Number", "Pension No")
_NUMBER_WORDS = {
    "number", "no", "num", "nr", "id", "ref", "reference", "identification", "identifier",
    "nummer", "numero", "nro", "numer", "identifikation", "identifikationsnummer",
}  # fmt: skip
# a name holding one of these words is a secret's name
_SECRET_WORDS = {
    "tfn", "ird", "utr", "ein", "ssn", "nino", "ppsn", "itin", "tin", "sin", "usi", "bank", "banking", "bsb", "iban",
    "swift", "aba", "acct", "card", "cvv", "cvc", "passport", "licence", "license", "lic", "medicare", "centrelink",
    "pin", "password", "passcode", "passphrase", "pwd", "pw", "login", "logon", "secret",
    # other countries' tax, social security and identity numbers, bank accounts, passports and passwords
    "nif", "bsn", "sofinummer", "burgerservicenummer", "personnummer", "personnr", "fodselsnummer", "fødselsnummer",
    "henkilotunnus", "hetu", "pesel", "cpf", "curp", "cuit", "cuil", "ahv", "steuernummer", "steuerid",
    "kontonummer", "rekeningnummer", "bankverbindung", "codicefiscale", "passwort", "kennwort", "wachtwoord",
    "losenord", "passord", "adgangskode", "contrasena", "senha", "haslo", "hasło", "motdepasse", "passeport",
    "reisepass", "pasaporte", "passaporte", "passaporto", "paspoort",
    # QA (session 35): credentials and what recovers them, and card schemes
    "memorable", "mfa", "otp", "totp", "token", "apikey", "kiwisaver", "mastercard", "amex", "paypal",
}  # fmt: skip
# ... or one of these words followed by one of its next words ("Sort Code"), or by a number word where None is one
_SECRET_PHRASES = {
    "tax": {"file", None}, "gst": {None}, "social": {"security"}, "ni": {None},
    "sort": {"code"}, "routing": {None}, "account": {"details", None}, "acc": {None}, "ac": {None}, "nhs": {None},
    "pps": {None}, "customer": {"reference"}, "super": {"member", None}, "superannuation": {"member", None},
    "pension": {None}, "visa": {None}, "dl": {None}, "cc": {None}, "credit": {"card"},
    "memorable": {"word"}, "maiden": {"name"}, "pass": {"word", "code", "phrase", None},
    # QA (session 35): spelled out ("Taxpayer ID", "Unique Taxpayer Reference", "National ID", "Employer ID"),
    # credentials and what recovers them ("Security question", "2FA", "Backup codes", "Seed phrase", "API key"), and
    # member and direct debit numbers ("Member number", "Superannuation fund member", "DD details")
    "taxpayer": {None}, "national": {"insurance", "identity", None}, "identity": {"card", "document", None},
    "employer": {None}, "security": {"answer", "question", "q", "code", "word", "phrase"},
    "verification": {"code", "answer", "word", "phrase"}, "2": {"fa", "factor", "step"}, "two": {"factor", "step"},
    "backup": {"code"}, "recovery": {"code", "phrase", "key", "word"}, "seed": {"phrase", "word"},
    "api": {"key", "token", "secret"}, "access": {"token", "code", "key"}, "private": {"key"}, "member": {None},
    "fund": {"member", None}, "birth": {"certificate"}, "direct": {"debit"}, "dd": {"details", None},
    "kiwi": {"saver"}, "pay": {"pal"},
    # other languages' (their small words left out): Steuer-ID, Steuer Nr, numéro fiscal, número de identificación
    # fiscal, codice fiscale, fiscal code, numéro de sécurité sociale, número de seguridad social, mot de passe,
    # compte bancaire, número de cuenta, Konto Nr; NIE, DNI, NIR, NSS, RFC, RUT alone or before a number word
    # (each is a word of some language too: "nie" never, "dni" days)
    "steuer": {None}, "numero": {"fiscal", "fiscale", "securite", "seguridad", "seguranca", "cuenta", "compte", "conto",
    "conta", "contribuinte", "contribuyente"}, "fiscal": {"code", None}, "fiscale": {"code", None},
    "identificacion": {"fiscal", "tributaria"}, "identification": {"fiscale"}, "identificazione": {"fiscale"},
    "identifiant": {"fiscal"}, "codice": {"fiscale"}, "securite": {"sociale"}, "seguridad": {"social"},
    "seguranca": {"social"}, "mot": {"passe"}, "compte": {"bancaire", None}, "cuenta": {"bancaria", None},
    "conto": {"bancario", "corrente", None}, "conta": {"bancaria", "corrente", None}, "konto": {None},
    "rekening": {None}, "nie": {None}, "dni": {None}, "nir": {None}, "nss": {None}, "rfc": {None}, "rut": {None},
    "cpr": {None}, "no": {"fiscal", "fiscale"}, "nr": {"fiscal", "fiscale"}, "id": {"fiscal", "fiscale"},
}  # fmt: skip
# ... or is this word alone (a number beside it aside): "Account" (not "Account Manager"), "DL" (a driver licence),
# "CC" (a credit card; "Cc list" is an email's copies), "Pass" (a password; "Pass rate" is a rate); "Konto", "Compte",
# "Cuenta", "Conto", "Conta" (an account); NIE, DNI, NIR, NSS, RFC, RUT, CPR (identity and tax numbers)
_SECRET_ALONE = {"account", "dl", "cc", "pass", "konto", "compte", "cuenta", "conto", "conta", "nie", "dni", "nir", "nss",
                 "rfc", "rut", "cpr", "acc", "key", "member", "visa"}  # fmt: skip
# a word holding one of these is a secret's name whatever else it holds ("spousetfn", "clientpassport"); and those of
# languages written without spaces between words: Chinese (税号 a tax number, 纳税人识别号 a taxpayer's number, 身份证 an
# identity card, 护照 a passport, 银行账号 / 银行卡 a bank account or card, 密码 a password, 社保号 a social security
# number), Japanese (マイナンバー and 個人番号 My Number, 口座番号 an account number, パスワード, 暗証番号 a PIN, 旅券 a
# passport) and Korean (주민등록번호 a resident registration number, 비밀번호 a password, 계좌번호 an account number,
# 여권 a passport)
_SECRET_INSIDE = ("tfn", "passport", "password", "passcode", "medicare", "licence", "license", "taxfile", "bankaccount",
                  "socialsecurity", "nationalinsurance", "sortcode", "centrelink", "sozialversicherung",
                  "versicherungsnummer", "steueridentifikation", "税号", "稅號", "纳税人识别号", "納稅人識別號", "身份证",
                  "身分證", "身份證", "护照", "護照", "银行账", "銀行帳", "银行卡", "銀行卡", "密码", "密碼", "社保号",
                  "社会保障号", "社会保险号", "マイナンバー", "個人番号", "口座番号", "パスワード", "暗証番号", "旅券",
                  "주민등록번호", "비밀번호", "계좌번호", "여권")  # fmt: skip
_SECRET_INSIDE = tuple(_fold(t) for t in _SECRET_INSIDE)  # as a name is read: マイナンバー without its voicing marks
# small words of other languages, left out of a name before its phrases are read ("mot de passe", "numéro de compte")
_SMALL_WORDS = {"de", "di", "du", "d", "del", "della", "da", "do", "des", "la", "le", "l", "der", "die", "das"}
_VOCABULARY = (_NUMBER_WORDS | _SECRET_WORDS | set(_SECRET_PHRASES)
               | {w for after in _SECRET_PHRASES.values() for w in after if w} | {"driver", "drivers"})  # fmt: skip
# abbreviations written with a slash: A/C (account), B/A (bank account), P/W (password)
_SLASHED = {"ac": " account ", "ba": " bank account ", "pw": " password "}


def _known_words(word: str) -> list[str]:
    """`word` as the known words it is made of, each maybe plural ("irdnumber", "tfns", "passportno"); else itself
    ("banksia", "passion", "accountant": not all of it is known words)."""
    best: list[list[str] | None] = [[], *[None] * len(word)]
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 32), end):
            part = word[start:end]
            stem = part[:-1] if part.endswith("s") and part[:-1] in _VOCABULARY else part
            if best[start] is not None and stem in _VOCABULARY:
                best[end] = [*best[start], stem]
                break
    return best[-1] or [word]




def _name_words(name: str) -> list[str]:
    """A custom field's name as words, casefolded: a character that shows as nothing, any other character that is no
    letter or digit, a capital after a small letter and the edge between letters and digits part two words
    ("Bank\u200bAccount", "Tax-File-Number", "spouseTFN", "TFN2"); single letters one after another are one word
    ("T.F.N.", "T F N": tfn); "#" is "no" (Acct#); accents are dropped ("Numéro": numero) and compatibility forms read
    as what they stand for (full-width letters, "º")."""
    text = re.sub(INVISIBLE, " ", name)
    text = _fold(text)
    text = re.sub(r"(?i)(?<![^\W_])([abp])\s*/\s*([acw])(?![^\W_])", lambda m: _SLASHED.get((m[1] + m[2]).lower(), m[0]), text)
    text = text.replace("#", " no ")
    text = "".join(c + " " if c.islower() and n.isupper() else c for c, n in zip(text, text[1:] + " "))
    tokens = re.findall(r"[^\W\d_]+|\d+", text.casefold())
    words: list[str] = []
    for single, run in itertools.groupby(tokens, key=lambda t: len(t) == 1 and t.isalpha()):
        run = list(run)
        words += ["".join(run)] if single and len(run) > 1 else run
    return words


def secret_field_name(name: str) -> bool:
    """True when a custom field's name says it holds a secret: a secret's word in it (TFN, IRD, bank, passport,
    licence, password, PIN...), a secret's phrase (tax file, sort code, NI number, account number, security answer),
    or "Account", "DL", "CC" or "Pass" alone; other languages' words and phrases as well, the name's accents dropped and
    its small words (de, di, der...) left out ("Steuernummer", "numéro de sécurité sociale", "Codice fiscale", "NIF",
    "BSN", "Personnummer", "Konto"), and those of languages written without spaces inside any word ("税号", "身份证",
    "パスワード", "비밀번호"). A word made wholly of known words is read as those ("IRDno", "TFNs",
    "bankaccountnumber", "Steuernummer"); one that is not ("Banksia", "Passion", "Accountant", "Steuerberater") as
    itself. Called once per distinct name."""
    tokens = _name_words(name)
    if any(inside in t for t in tokens for inside in _SECRET_INSIDE):
        return True
    words = [w for t in tokens for w in _known_words(t) if w not in _SMALL_WORDS]
    if len(named := [w for w in words if not w.isdigit()]) == 1 and named[0] in _SECRET_ALONE:
        return True
    for word, after in zip(words, [*words[1:], ""]):
        nexts = _SECRET_PHRASES.get(word, ())
        if word in _SECRET_WORDS or after in nexts or (None in nexts and after in _NUMBER_WORDS):
            return True
    return False


# digits (any script's) with up to three spaces, dots, commas, underscores, dashes or slashes between them, as people
# write numbers (thousands commas: a spreadsheet's number format; session 29)
# (a run of spaces of any kind and line breaks, however long, is one separator: QA found a TFN kept in clear with its
# groups on lines of their own, "123\n456\n782" in a multi-line XPM address or a quoted multi-line CSV cell, "\r", or
# "300-\n000681", or parted by four spaces or more; the columns of a row are searched joined by _COLUMNS, which no run
# crosses. A house number on one line and a postcode on the next are one run then, masked only when its digits are a
# valid TFN or IRD number, as on one line)
# (characters that show as nothing, landing.errors.INVISIBLE, a run of them one separator: session 30 found a TFN
# written with zero-width spaces or soft hyphens kept in clear)
# (session 30, QA: brackets as a phone is written, "(123) 456-782", an apostrophe as Swiss thousands, a colon, a pipe,
# a middle dot or bullet, full-width hyphens, slashes, stops, commas and ideographic marks as an Asian input method
# types them with full-width digits, a combining mark (a keycap's U+20E3) between digits; and digits a reader reads as digits
# though they are no decimal digits: superscript and circled ones, "¹²³", "①②③")
# the separators, digits and hidden characters are redact's (landing.errors), but any run of spaces and line breaks is
# one separator here (redact joins at a line break only groups of two to four digits, digits after a dash ending a
# line, or two lines' numbers that make a valid tax number together: a message's lines and lists)
_SEP = rf"(?:\s+|{PUNCT}|[{HIDDEN_CHARS}]+)"
# what the columns of a row are joined by to be searched at once: no space, punctuation or hidden character, so a run
# never spans two columns (a line break did that until a line break was a separator)
_COLUMNS = "\x00"
_D = DIGIT
# a comma only alone between two digits (123,456,782): with a space it parts a list ("Level 3, 2019-01-05")
_RUN = rf"{_D}(?:(?:{_SEP}{{0,3}}|,){_D})+"
_EIGHT = rf"{_D}(?:(?:{_SEP}{{0,3}}|,){_D}){{7}}"  # cheap pre-filter: at least eight digits in a row
# where a run's parts start: a dot or slash, a line break, or a wide gap
_GAP = r"[.,_/\r\n]|(?:[^\S\r\n]|[\-\x{2010}-\x{2015}\x{2212}]){2,}"
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
# columns that are keys, hashes, public identifiers or matching evidence: never rewritten
_KEEP = {
    "practice_id", "source", "source_client_id", "contact_id", "group_id", "relationship_id", "related_client_id",
    "field_id", "organisation_id", "xpm_client_uuid", "account_manager_id", "raw_hash", "source_file", "value",
    "value_type", "value_hash", "value_last3", "tfn_hash", "tfn_last3", "ird_hash", "ird_last3", "abn", "acn", "nzbn",
    "phone", "mobile", "fax", "email", "state",
}  # fmt: skip
# phone columns are matching evidence, but a TFN typed into one was kept in clear (session 28): there a value is
# looked at only when it cannot be a phone number as written: eight or nine digits in all, the first no trunk prefix
# (0), no country code (+); so the phones of a million records do not each meet the check digits
_PHONES = ("phone", "mobile", "fax")


def _not_a_phone(column: str) -> pl.Expr:
    """A phone cell that cannot be a phone as written: eight or nine digits of any script (full-width ones: QA, session
    30), no trunk prefix, no country code; words in it beside the digits ("TFN 300000054 (mob 0412)"); a slash or a
    dot between digits."""
    digits = pl.col(column).str.replace_all(r"[^\d]", "")
    plain = ~pl.col(column).str.contains("+", literal=True) & digits.str.len_chars().is_in([8, 9]) & ~digits.str.starts_with("0")
    worded = pl.col(column).str.contains(r"\p{L}{2}") & ~pl.col(column).str.contains(r"(?i)^\s*\+?[\d\s().\-]+(?:e?xt?n?\.?|extension)\s*\d+\s*$")
    # two numbers in one cell ("300000089 / 300000882") or a number with decimals ("300000125.00"): looked at by their
    # parts between slashes and dots, which a phone's groups never fill to eight digits (QA, session 30)
    parted = pl.col(column).str.contains("/", literal=True) | pl.col(column).str.contains(r"\d\.\d")
    return plain | worded | parted


def _digits(run: str) -> str:
    """The run's digits as ASCII (a full-width, superscript, circled or other script's digit as the digit it is)."""
    return "".join(str(d) for c in run if (d := unicodedata.digit(c, None)) is not None)


def _is_tax_number(run: str) -> bool:
    if _DATE.fullmatch(run):  # a written date is not a tax number, whatever its digits say
        return False
    d = _digits(run)
    return len(d) in (8, 9) and (tfn.is_valid(d) or ird.is_valid(d))


def _is_utr(run: str, within: str) -> bool:
    """A UK UTR (QA: kept in clear in a UK practice's free text): ten digits whose check digit passes (stdnum.gb.utr),
    written as no UK phone is: neither it nor the run it is a stretch of (`within`) starts with the trunk prefix 0, nor
    does that run start with the country code 44 ("+44 20 7946 0006", "+44 (0)20 7946 0006"): about one ten-digit
    phone number in eleven passes the check. A written date is none."""
    d, outer = _digits(run), _digits(within)
    if len(d) != 10 or d.startswith("0") or outer.startswith("0") or (outer != d and outer.startswith("44")):
        return False
    return not _DATE.fullmatch(run) and utr.is_valid(d)


# the phonenumbers region of each practice region whose phones are written with a trunk prefix 0
_TRUNK_REGION = {"AU": "AU", "NZ": "NZ", "UK": "GB"}
# the countries of the practices (and of most of their clients' phones), each with its trunk prefix and the fewest digits
# a phone written with it has: a valid number of any of them so written is a phone in any practice's free text (QA: a
# UK "020 7946 0958" in an AU practice was masked as a TFN); eight or nine digits never (a TFN or IRD number written
# whole, "049-091-850"), nor ten digits with no trunk prefix (a US "(212) 555-0102" is as likely a UK UTR)
_TRUNKS = {"AU": ("0", 10), "NZ": ("0", 10), "GB": ("0", 10), "US": ("1", 11)}
# where one phone of a run ends and another starts: a line break, a slash, a pipe, a semicolon, a wide gap, a "+"
_PHONE_BREAK = re.compile(r"[\r\n/|;]|\s{2,}|(?=\+)")


def _phone(part: str, region: str | None, trunk: bool = True) -> bool:
    """`part` is written as a phone is: a valid number after its country code ("+44 20 7946 0958"), or with `trunk`, a
    valid number after its trunk prefix of the practice's country or of another of the four (_TRUNKS): "020 7946 0958"
    in any practice; with eight or nine digits it may be a TFN or IRD number written whole ("049-091-850")."""
    lead = part.lstrip(" \t-.(")
    if lead.startswith("+"):
        return _valid(lead, None)
    if not trunk:
        return False
    first, count = _digits(lead[:1]), len(_digits(part))
    own = _TRUNK_REGION.get(region or "")
    where = sorted(_TRUNKS, key=lambda r: r != own)  # the practice's own country first: most phones are its
    return any(first == _TRUNKS[r][0] and count >= _TRUNKS[r][1] and _valid(lead, r) for r in where)


def _valid(number: str, where: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, where))
    except phonenumbers.NumberParseException:
        return False


# how a tax number's digits are grouped as people write them (TFN 123 456 782 or 12 345 678, IRD 12-345-678 or
# 123-456-789, UTR 12345 67890, or whole): a phone's groups written with its trunk prefix never leave a stretch so
# grouped ("020 7946 0958": 7946 0958; "07911 112 345": 07911 112; "(02) 9250 0018": 9250 0018)
_TAX_GROUPING = {(8,), (9,), (10,), (3, 3, 3), (2, 3, 3), (3, 3, 2), (5, 5)}


def _grouped_as_tax(run: str) -> bool:
    """The run's groups of digits (any kind of digit) are as a tax number's are written (_TAX_GROUPING)."""
    sizes = [len(list(g)) for is_digit, g in itertools.groupby(run, lambda c: unicodedata.digit(c, None) is not None) if is_digit]
    return tuple(sizes) in _TAX_GROUPING


def _in_phone(run: str, raw: str, region: str | None) -> bool:
    """Every place `run` is written in `raw` (the run as found, its leading "+" kept) is inside a part of `raw` written
    as a phone (_phone): there it is a stretch of the phone's digits, no tax number. A run written in a tax number's
    grouping (_TAX_GROUPING) is no stretch of a phone written with its trunk prefix: "TFN 0 300 000 681" holds an AU
    phone's digits, 03 0000 0681 (session 33)."""
    at = [m.start() for m in re.finditer(re.escape(run), raw)]
    cuts = [0, *(i for m in _PHONE_BREAK.finditer(raw) for i in (m.start(), m.end())), len(raw)]
    # only the parts that hold the run are looked at as phones (phonenumbers parses each)
    holding = [(a, b) for a, b in zip(cuts[::2], cuts[1::2]) if any(a <= i and i + len(run) <= b for i in at)]
    trunk = not _grouped_as_tax(run)
    phones = [(a, b) for a, b in holding if _phone(raw[a:b], region, trunk)]
    return bool(at and phones) and all(any(a <= i and i + len(run) <= b for a, b in phones) for i in at)


def _windows(run: str) -> list[str]:
    """The run, and where it holds more than eight digits, each stretch of its groups of digits that holds eight to
    ten (a UTR is ten): two numbers written one after the other ("123 456 782 876 543 210") are one run (session 30),
    and so are a digit and an eight-digit number ("Level 3 49-091-850": an IRD number kept in clear, session 33)."""
    groups, start = [], None
    for i, c in enumerate(run + " "):  # a run is short: its groups of digits, any kind of digit
        if unicodedata.digit(c, None) is not None:
            start = i if start is None else start
        elif start is not None:
            groups.append((start, i))
            start = None
    if sum(b - a for a, b in groups) <= 8:
        return [run]
    out = [run]
    for i, (start, _) in enumerate(groups):
        total = 0
        for a, b in groups[i:]:
            total += b - a
            if total > 10:
                break
            if total >= 8:
                out.append(run[start:b])
    return out


def _tax_numbers(runs: list[str]) -> list[str]:
    return sorted(r for r in runs if _is_tax_number(r))  # once per distinct run (or stretch of one: _windows)


def _with_parts(runs: pl.Expr) -> pl.Expr:
    """Each run, then its parts between dots and slashes or wide gaps: a number is not written with those inside it,
    but is often written against other digits with them ("123456782.00", "123456782/2023", "TFN:123456782/2023")."""
    parts = runs.str.replace_all(_GAP, "\n").str.split("\n")
    return pl.concat_list(runs, parts.list.filter(pl.element().str.len_chars() >= 8))


def tax_number_runs(values: pl.Series, utr: bool = False) -> list[str]:
    """Distinct digit runs (or their parts between dots and slashes, or stretches of their groups: _windows), as written
    in `values`, that are check-digit-valid TFN or IRD numbers, or with `utr` (the values of a UK practice) UTRs that are
    no phone (_is_utr): a UTR in a UK practice's name or record id was stored in clear (session 33)."""
    hits = values.filter(values.str.contains(_EIGHT).fill_null(False))
    if hits.is_empty():
        return []
    runs = hits.str.extract_all(_RUN).explode().drop_nulls().unique()
    parts = runs.to_frame("run").select(_with_parts(pl.col("run"))).to_series().explode().drop_nulls().unique()
    parts = parts.filter(parts.str.count_matches(_D) >= 8).to_list()  # fewer digits: no tax number (practice_runs)
    found = set(_tax_numbers(sorted({w for r in parts for w in _windows(r)})))
    if utr:
        found |= {w for r in parts for w in _windows(r) if _is_utr(w, r)}
    return sorted(found)


_NO_RUNS = pl.DataFrame(schema={"practice_id": pl.String, "run": pl.String})
_NO_ROWS = pl.DataFrame(schema={"_row": pl.Int64, "run": pl.String})


_NO_REGIONS: Mapping[str, str | None] = MappingProxyType({})


def practice_runs(frame: pl.DataFrame, text: pl.Expr, windows: bool = True,
                  regions: Mapping[str, str | None] = _NO_REGIONS) -> pl.DataFrame:  # fmt: skip
    """practice_id, run: per practice, the distinct digit runs written in `text` that are valid TFN or IRD numbers, or,
    in UK practices (`regions`: practice_id -> region), UTRs that are no phone (_is_utr); with `windows`, each
    stretch of a longer run's groups that holds eight to ten digits too (_windows); none inside a phone (_in_phone)."""
    hits = frame.select("practice_id", text.alias("_text")).filter(pl.col("_text").str.contains(_EIGHT).fill_null(False))
    if hits.is_empty():
        return _NO_RUNS
    # a run as found, with the "+" of a country code before it (_in_phone), and the run without it
    pairs = hits.select("practice_id", raw=pl.col("_text").str.extract_all(rf"\+?{_RUN}")).explode("raw").drop_nulls().unique()
    pairs = pairs.with_columns(run=_with_parts(pl.col("raw").str.strip_chars_start("+"))).explode("run").drop_nulls().unique()
    # a run of fewer than eight digits is none, nor is any stretch of it: the house numbers and postcodes a line break
    # now joins ("Unit 12\n345") are left out before each distinct run is looked at in Python
    pairs = pairs.filter(pl.col("run").str.count_matches(_D) >= 8)
    pairs = pairs.with_columns(within=pl.col("run"))  # the run (or part of one) a stretch is taken from
    if windows:
        distinct = pairs.get_column("run").unique().to_list()
        stretches = pl.DataFrame({"run": distinct, "window": [_windows(r) for r in distinct]},
                                 schema={"run": pl.String, "window": pl.List(pl.String)})  # fmt: skip
        pairs = pairs.join(stretches, on="run").select("practice_id", "raw", "within", run="window").explode("run").unique()
    found = pairs.filter(pl.col("run").is_in(_tax_numbers(pairs.get_column("run").unique().to_list())))
    uk = [p for p, r in regions.items() if r == "UK"]
    if uk:
        ours = pairs.filter(pl.col("practice_id").is_in(pl.Series(uk, dtype=pl.String)))
        ten = [(r, w) for r, w in ours.select("run", "within").unique().iter_rows() if _is_utr(r, w)]  # once per distinct
        utrs = pl.DataFrame(ten, schema={"run": pl.String, "within": pl.String}, orient="row")
        found = pl.concat([found, ours.join(utrs, on=["run", "within"])], how="vertical_relaxed")
    if found.is_empty():
        return _NO_RUNS
    # a number found is looked at again only where a phone may hold it, once per distinct run, phone and region: few
    region = pl.col("practice_id").replace_strict(dict(regions), default=None, return_dtype=pl.String)
    found = found.with_columns(region=region)
    phoned = [(r, w, g) for r, w, g in found.select("run", "raw", "region").unique().iter_rows() if _in_phone(r, w, g)]
    phoned = pl.DataFrame(phoned, schema={"run": pl.String, "raw": pl.String, "region": pl.String}, orient="row")
    found = found.join(phoned, on=["run", "raw", "region"], how="anti", nulls_equal=True)
    return found.select("practice_id", "run").unique()


def _holding(frame: pl.DataFrame, column: str, runs: pl.DataFrame) -> pl.DataFrame:
    """_row, run: each row whose `column` holds one of its own practice's runs, once per such run.

    A practice's numbers are masked in that practice only: another practice may write the same digits
    inside a longer number, which is no tax number there.
    """
    if runs.is_empty():
        return _NO_ROWS
    anywhere = runs.get_column("run").unique().to_list()
    held = frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), "practice_id", pl.col(column).alias("_text"))
    held = held.filter(pl.col("_text").str.contains_any(anywhere).fill_null(False))  # cheap pre-filter, few rows pass
    if held.is_empty():
        return _NO_ROWS
    held = held.join(runs, on="practice_id").filter(pl.col("_text").str.contains(pl.col("run"), literal=True))
    return held.select("_row", "run")


def _masks(runs: list[str]) -> tuple[list[str], list[str]]:
    runs = sorted(runs, key=len, reverse=True)  # longest first
    return runs, ["***" + _digits(r)[-3:] for r in runs]


def mask_runs(expr: pl.Expr, runs: list[str]) -> pl.Expr:
    """`expr` with each of `runs` replaced by *** and its last three digits: where several start at one place, the
    longest (leftmost-first over the runs longest first: by default Aho-Corasick takes the one that ends first, a
    stretch of a longer run, and "5*7*0*1*7*8*2*1" of a TFN written "5*7*0*1*7*8*2*1*6" was masked alone, its last
    digit left; session 33)."""
    return expr.str.replace_many(*_masks(runs), leftmost=True)


def _mask(values: pl.Series, held: pl.DataFrame) -> pl.Series:
    """`values` with each held row's runs masked (as mask_runs does); a row's practice's other runs do not occur in
    it, so masking with the runs it holds is masking with all its practice's runs."""
    sets = held.group_by("_row").agg(pl.col("run").sort().str.join(_COLUMNS).alias("_set"))  # a run may hold a line break
    for (runs,), part in sets.group_by("_set"):  # once per distinct set of numbers, a handful
        rows = part.get_column("_row")
        values = values.scatter(rows, values.gather(rows).str.replace_many(*_masks(runs.split(_COLUMNS)), leftmost=True))
    return values


# a run of six digits or more: the fewest an identifier with no check digit is written with (a BSB, a bank account, a
# member, licence, passport or National Insurance number's digits), a cheap pre-filter
_SIX = rf"{_D}(?:(?:{_SEP}{{0,3}}|,){_D}){{5}}"
# an amount as people write one: thousands commas ("1,250,000", "1,250.50") or cents ("125000.00")
_AMOUNT = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+\.\d{2}")


def _not_an_identifier(run: str, region: str | None) -> bool:
    """A run of six digits or more that is a date ("30/06/2024", "20240630"), an amount (_AMOUNT) or a phone written as
    one is (_phone: with its country code or trunk prefix; in a US practice ten digits a US number), not an identifier."""
    plain = run.lstrip("+")
    digits = _digits(plain)
    if _DATE.fullmatch(plain) or (len(digits) == 8 and any(_is_date(digits, f) for f in ("%Y%m%d", "%d%m%Y"))):
        return True
    if _AMOUNT.fullmatch(plain) and plain.isascii():
        return True
    if _phone(run, region):
        return True
    return region == "US" and len(digits) == 10 and _valid(plain, "US")


def _is_date(digits: str, fmt: str) -> bool:
    try:
        datetime.strptime(digits, fmt)
    except ValueError:
        return False
    return True


def _identifier_rows(fields: pl.DataFrame, regions: Mapping[str, str | None]) -> pl.Series:
    """The rows (positions) of text custom fields whose value holds an identifier's shape: a run of six digits or more
    (`_RUN`: as people write numbers) that is no date, amount or phone (_not_an_identifier), once per distinct run.
    QA (session 35) found secrets kept in clear under names no list held ("Taxpayer ID", "Employer ID", "National ID",
    "Member number"): a number without a check digit is kept in clear only where the field is typed a number or a
    date, or is an amount, a date or a phone as written."""
    text = pl.col("value_type").is_null() | ~pl.col("value_type").is_in(["number", "date", "boolean"])
    rows = fields.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), "practice_id", "value", text.alias("_text"))
    rows = rows.filter(pl.col("_text") & pl.col("value").str.contains(_SIX).fill_null(False))
    none = pl.Series("_row", [], dtype=pl.Int64)
    if rows.is_empty():
        return none
    runs = rows.select("_row", "practice_id", run=pl.col("value").str.extract_all(rf"\+?{_RUN}")).explode("run")
    # a run's parts between dots, slashes, commas, line breaks or wide gaps ("1.2.3/45678" a version, "Level 3,
    # 2019"): an identifier is written whole or with spaces and dashes between its groups
    part = pl.col("run").str.replace_all(_GAP, "\n").str.split("\n")
    runs = runs.filter(part.list.eval(pl.element().str.count_matches(_D)).list.max() >= 6)
    region = pl.col("practice_id").replace_strict(dict(regions), default=None, return_dtype=pl.String)
    runs = runs.with_columns(region=region)
    benign = [(r, g) for r, g in runs.select("run", "region").unique().iter_rows() if _not_an_identifier(r, g)]
    benign_frame = pl.DataFrame(benign, schema={"run": pl.String, "region": pl.String}, orient="row")
    runs = runs.join(benign_frame, on=["run", "region"], how="anti", nulls_equal=True)
    return runs.get_column("_row").unique() if runs.height else none


def protect_custom_fields(fields: pl.DataFrame, key: HashKey, regions: Mapping[str, str | None] = _NO_REGIONS) -> pl.DataFrame:
    """Secret custom fields (by name, by a tax number of their practice in the value: a TFN or IRD number, or in a UK
    practice a UTR, or, in a text field, by any identifier's shape in the value: _identifier_rows; `regions`:
    practice_id -> region) kept only as HMAC + last three, flagged. Any number of practices at once."""
    # a date field's value is checked too unless it is a date (one written as yyyymmdd may pass an IRD check): a tax
    # number typed in a date field was kept in clear (session 28)
    day = pl.col("value").str.strip_chars()
    compact_date = (day.str.len_chars() == 8) & day.str.to_date("%Y%m%d", strict=False).is_not_null()
    runs = practice_runs(fields.filter(~((pl.col("value_type") == "date") & compact_date).fill_null(True)), pl.col("value"), regions=regions)
    # a name read as words, once per distinct name (a handful per practice): session 30 found "Bank\u200bAccount",
    # "BankAccount", "T.F.N.", "IRDNumber", "NI Number" and the like were no secret's names
    names = fields.get_column("field_name").drop_nulls().unique().to_list()
    named = pl.col("field_name").is_in(pl.Series([n for n in names if secret_field_name(n)], dtype=pl.String)).fill_null(False)
    held = pl.concat([_holding(fields, "value", runs).get_column("_row"), _identifier_rows(fields, regions)])
    holds = pl.int_range(pl.len(), dtype=pl.Int64).is_in(held.implode()) if held.len() else pl.lit(False)
    secret = (named | holds) & pl.col("value").is_not_null()
    canon = pl.col("value").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    df = fields.with_columns(is_secret=secret, _canon=pl.when(secret).then(canon))
    message = df.select(pl.concat_str(pl.lit("FREE:"), "_canon")).to_series()
    return df.with_columns(
        value=pl.when(pl.col("is_secret")).then(None).otherwise(pl.col("value")),
        value_hash=key.hash_series(message),
        value_last3=last_three(pl.col("_canon")),
    ).drop("_canon")


def _masked_in(frame: pl.DataFrame, cols: list[str], looked_at: pl.DataFrame, windows: bool = True,
               regions: Mapping[str, str | None] = _NO_REGIONS) -> tuple[pl.DataFrame, pl.Series]:  # fmt: skip
    """The frame with its practices' tax numbers masked in `cols`, as found in `looked_at` (the frame, or the frame
    with the values not to look at nulled); the practice_id of each row hit."""
    none = pl.Series("practice_id", [], dtype=pl.String)
    if not cols or frame.is_empty():
        return frame, none
    # one pass over all the frame's text (a run never spans two columns: _COLUMNS)
    runs = practice_runs(looked_at, pl.concat_str(cols, separator=_COLUMNS, ignore_nulls=True), windows, regions)
    if runs.is_empty():
        return frame, none
    masked, rows = {}, []
    for c in cols:
        held = _holding(looked_at, c, runs)
        if held.height:
            masked[c] = _mask(frame.get_column(c), held)
            rows.append(held.get_column("_row"))
    hit = pl.concat(rows).unique() if rows else pl.Series("_row", [], dtype=pl.Int64)
    return frame.with_columns(**masked), frame.get_column("practice_id").gather(hit)


def _masked(frame: pl.DataFrame, regions: Mapping[str, str | None] = _NO_REGIONS) -> tuple[pl.DataFrame, pl.Series]:
    """The frame with its practices' tax numbers masked in every free-text column; the practice_id of each row hit."""
    return _masked_in(frame, [c for c, t in frame.schema.items() if t == pl.String and c not in _KEEP], frame, regions=regions)


def _masked_phones(frame: pl.DataFrame, regions: Mapping[str, str | None] = _NO_REGIONS) -> tuple[pl.DataFrame, pl.Series]:
    """The frame with a tax number typed into a phone column masked (see _PHONES); the practice_id of each row hit.
    (Ten digits alone in a phone cell are left alone in a UK practice too, whatever their check digit says: a UK phone
    whose leading 0 a spreadsheet dropped, "7700900127"; a UTR among words there is masked, "UTR 1955839609".)"""
    cols = [c for c in _PHONES if frame.schema.get(c) == pl.String]
    # whole runs only: a stretch of a phone's groups ("9999 1111" of "ph (02) 9999 1111") would be a number's part
    looked_at = frame.with_columns(pl.when(_not_a_phone(c)).then(pl.col(c)).alias(c) for c in cols)
    return _masked_in(frame, cols, looked_at, windows=False, regions=regions)


def _masked_emails(frame: pl.DataFrame, regions: Mapping[str, str | None] = _NO_REGIONS) -> tuple[pl.DataFrame, pl.Series]:
    """The frame with a tax number typed into an email column masked; the practice_id of each row hit. QA (session 35):
    a TFN typed into HQ's or Tax's email ("724 474 742", "TFN: 961 754 199") or as an address's local part
    ("611857756@example.com") was stored and promoted in clear. Whole runs only: an address's other digits are no
    stretch of a tax number ("j.smith1980@..."); a masked address still matches its practice's other records, where the
    same number is masked the same way."""
    cols = [c for c in ("email",) if frame.schema.get(c) == pl.String]
    return _masked_in(frame, cols, frame, windows=False, regions=regions)


def protect_free_text(tables: dict[str, pl.DataFrame], key: HashKey,
                      regions: Mapping[str, str | None] = _NO_REGIONS) -> dict[str, pl.DataFrame]:  # fmt: skip
    """Every free-text secret of a batch's tables hashed (custom fields) or masked (other text), practice by practice;
    `regions`: the region of each practice_id of the batch (a UTR is a tax number in a UK practice: _is_utr; a phone
    is written with its country's trunk prefix: _in_phone)."""
    out = dict(tables)
    out["custom_field"] = protect_custom_fields(tables["custom_field"], key, regions)
    hits = []
    for name in ("client", "contact", "group_member", "relationship", "custom_field", "org_link"):
        out[name], hit = _masked(out[name], regions)
        out[name], phone_hit = _masked_phones(out[name], regions)
        out[name], email_hit = _masked_emails(out[name], regions)
        hits += [hit, phone_hit, email_hit]
    masked = pl.concat(hits).value_counts(name="masked")
    secret = out["custom_field"].filter(pl.col("is_secret")).get_column("practice_id").value_counts(name="secret")
    counts = masked.join(secret, on="practice_id", how="full", coalesce=True).fill_null(0).sort("practice_id")
    for pid, n, k in counts.select("practice_id", "masked", "secret").iter_rows():  # practices with secrets only
        log.warning(
            "practice %s: %d custom field values kept only as hashes, %d rows with a tax number masked in free text",
            pid, k, n,
        )
    return out
