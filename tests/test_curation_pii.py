"""Personal data: detectors, overlap resolution, consistent pseudonymization."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afina.engine.curation.pii import (
    DEFAULT_DETECTORS,
    NameDetector,
    PIIConfigError,
    Pseudonymizer,
    RegexDetector,
    default_detectors,
    introduced_names,
    person_names,
    register_detector,
    registered_detectors,
    resolve_overlaps,
    scan,
    select_detectors,
    unregister_detector,
)
from afina.engine.curation.pii_contacts import IPDetector
from afina.engine.curation.pii_identifiers import cnpj_is_valid, cpf_is_valid, luhn_is_valid
from afina.engine.errors import AfinaError
from afina.engine.types import PIIFinding

PII_JSON = Path(__file__).resolve().parents[1] / "datasets" / "sample_domain" / "pii.json"


def found(text: str, kind: str | None = None, **kw) -> list[str]:
    """The values scan() reports in ``text`` (of one kind, if given)."""
    return [f.value for f in scan(text, **kw) if kind is None or f.kind == kind]


# --------------------------------------------------------------------------- e-mail


def test_emails_are_found_without_trailing_punctuation():
    text = "Manda pra Ana.Souza+fatura@Example.com.br. Ou ryan.foster96@example.com!"
    assert found(text, "email") == ["Ana.Souza+fatura@Example.com.br", "ryan.foster96@example.com"]


@pytest.mark.parametrize("text", ["me @ casa", "user@localhost", "a@b.c", "@lumiar no twitter"])
def test_non_emails_are_not_found(text):
    assert found(text, "email") == []


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "+447946095812",
        "(48) 99123-4567",
        "48 99123-4567",
        "+55 48 99123-4567",
        "+55 (48) 9 9123-4567",
        "(48) 3222-1234",
        "48 3222-1234",
        "0800 123 4567",
        "048 98914 3970",
        "48984901281",
        "99123-4567",
    ],
)
def test_phone_formats_are_found_whole(phone):
    assert found(f"meu número é {phone}, obrigado", "phone") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "O plano custa R$ 99,90 por mês, ou R$ 1.299,90 por ano.",
        "Atendemos das 08:00 às 20:00, e no sábado das 10:30 às 14:00.",
        "A visita fica para 14/03/2024, ou 2024-03-14, ou 14.03.2024.",
        "Clientes desde 2019-2024, planos de 2019 2020 2021 2022.",
        "Contrato LF-138602, protocolo 1234567890.",
        "Senha do wifi: 3222-1234",
    ],
)
def test_prices_times_dates_years_and_contracts_are_not_phones(text):
    assert found(text, "phone") == []


def test_a_cep_is_a_cep_not_a_phone():
    assert [(f.kind, f.value) for f in scan("CEP 88010-000, Centro")] == [("cep", "88010-000")]
    assert found("CEP 88.010-000", "cep") == ["88.010-000"]


def test_phones_with_an_unknown_area_code_are_not_brazilian_phones():
    # 20 and 23 are not area codes in Brazil
    assert found("ligue 20 99123-4567 ou (23) 3222-1234", "phone") == []


# --------------------------------------------------------------------------- CPF / CNPJ


@pytest.mark.parametrize("cpf", ["529.982.247-25", "52998224725", "529982247-25"])
def test_valid_cpfs_are_found_in_every_punctuation(cpf):
    assert [(f.kind, f.value) for f in scan(f"CPF: {cpf}.")] == [("cpf", cpf)]


@pytest.mark.parametrize(
    "cpf", ["529.982.247-26", "52998224735", "111.111.111-11", "000.000.000-00"]
)
def test_cpfs_with_wrong_check_digits_are_not_found(cpf):
    assert found(f"CPF: {cpf}", "cpf") == []


def test_a_cpf_is_not_cut_out_of_a_longer_number():
    assert found("protocolo 5299822472512 e código X52998224725", "cpf") == []


def test_check_digit_validators():
    assert cpf_is_valid("529.982.247-25") and not cpf_is_valid("529.982.247-52")
    assert cnpj_is_valid("11.222.333/0001-81") and not cnpj_is_valid("11.222.333/0001-18")
    assert luhn_is_valid("4111 1111 1111 1111") and not luhn_is_valid("4111 1111 1111 1112")
    assert not luhn_is_valid("4111")  # too short for a card


@pytest.mark.parametrize("cnpj", ["11.222.333/0001-81", "11222333000181"])
def test_valid_cnpjs_are_found(cnpj):
    assert [(f.kind, f.value) for f in scan(f"CNPJ {cnpj} ok")] == [("cnpj", cnpj)]


def test_cnpjs_with_wrong_check_digits_are_not_found():
    assert found("CNPJ 11.222.333/0001-82 e 11222333000180", "cnpj") == []


# --------------------------------------------------------------------------- cards


@pytest.mark.parametrize(
    "card", ["4000 0021 0265 8976", "4000-0021-0265-8976", "4111111111111111", "3782 822463 10005"]
)
def test_luhn_valid_cards_are_found(card):
    assert [(f.kind, f.value) for f in scan(f"cartão {card} venc 10/29")] == [("card", card)]


def test_cards_failing_luhn_or_looking_like_timestamps_are_not_found():
    assert found("cartão 4000 0021 0265 8977", "card") == []
    assert found("ts 1710412345678 e 1710412345670", "card") == []  # ms timestamps start 17


def test_a_card_followed_by_a_short_number_is_still_found():
    assert found("4000 0021 0265 8976 123", "card") == ["4000 0021 0265 8976"]


# --------------------------------------------------------------------------- IP addresses


def test_public_ip_addresses_are_found():
    text = "meu IP é 177.34.12.8 e o IPv6 2804:14c:65a1:4b2::1."
    assert found(text, "ip") == ["177.34.12.8", "2804:14c:65a1:4b2::1"]


@pytest.mark.parametrize(
    "text",
    [
        "versão 1.2.3 do app, firmware 1.2.3.4.5",
        "octetos inválidos 256.1.1.1 e 01.02.03.04",
        "às 10:30:45 e MAC 00:1A:2B:3C:4D:5E",
        "std::vector<int> e a::b::c",
    ],
)
def test_versions_times_and_macs_are_not_ips(text):
    assert found(text, "ip") == []


def test_private_addresses_are_skipped_unless_asked_for():
    text = "acesse 192.168.18.1 ou fe80::1"
    assert found(text, "ip") == []
    wide = [IPDetector("ipv4", 4, include_private=True), IPDetector("ipv6", 6, True)]
    assert [f.value for f in scan(text, wide)] == ["192.168.18.1", "fe80::1"]


# --------------------------------------------------------------------------- secrets

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    "token",
    [
        "sk-abcdefghijklmnopqrstuvwxyz012345",
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "xoxb-1234567890-0987654321-AbCdEfGhIj",
        "xoxp-1234567890-abcdefghij",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        JWT,
        "d41d8cd98f00b204e9800998ecf8427e",  # 32 hex
        "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg==",  # base64
    ],
)
def test_keys_and_tokens_are_found(token):
    assert [(f.kind, f.value) for f in scan(f"use a chave {token} no app")] == [("secret", token)]


def test_bearer_tokens_keep_the_word_bearer():
    text = "Authorization: Bearer abcdef0123456789ABCDEF.xyz"
    scrubbed, _ = Pseudonymizer().scrub(text)
    assert scrubbed == "Authorization: Bearer <SECRET_1>"


@pytest.mark.parametrize(
    "text",
    [
        "Pneumoultramicroscopicossilicovulcanoconiótico é uma palavra longa",
        "https://lumiarfibra.com.br/ajuda/como-configurar-o-roteador-wifi-6-Guia",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 00000000000000000000000000000000",
        "the task-force-planning-meeting-notes-for-january",
    ],
)
def test_words_paths_and_uuids_are_not_secrets(text):
    assert found(text, "secret") == []


# --------------------------------------------------------------------------- names


def test_names_match_whole_words_ignoring_case_and_accents():
    detector = NameDetector(["Fábio Becker", "Juliana da Silva", "Tom O'Brien"])
    text = (
        "FABIO BECKER ligou; o Fabio e a Juliana Silva também. Fabiola não. "
        "juliana da silva, tom o’brien, Fa\u0301bio, Fabíola, Becker."
    )
    assert [f.value for f in detector.find(text)] == [
        "FABIO BECKER", "Fabio", "Juliana Silva", "juliana da silva", "tom o’brien",
        "Fa\u0301bio",
    ]  # fmt: skip


def test_a_name_without_accents_finds_the_accented_text():
    assert [f.value for f in NameDetector(["Rosangela"]).find("Oi Rosângela!")] == ["Rosângela"]


def test_first_names_share_the_full_names_placeholder_unless_ambiguous():
    p = Pseudonymizer([NameDetector(["Fábio Becker", "Ana Souza", "Ana Lima"])])
    text, _ = p.scrub("Fábio Becker: oi, aqui é o fabio. Ana Souza e Ana Lima; Ana?")
    assert text == "<NAME_1>: oi, aqui é o <NAME_1>. <NAME_2> e <NAME_3>; <NAME_4>?"


def test_person_names_from_display_names():
    speakers = [
        "Aline (cliente)", "Bruno - Lumiar Suporte", "Carla | Lumiar Fibra", "henrik.bennett",
        "+55 48 99360-5246", "Mariana Souza", "Mariana Souza",
    ]  # fmt: skip
    assert person_names(speakers) == ["Aline", "Bruno", "Carla", "henrik bennett", "Mariana Souza"]


def test_names_people_give_for_themselves():
    texts = [
        "boa tarde!!\naqui é Alexandre\nQuanto custa o plano?",  # not "Alexandre Quanto"
        "oi gente, meu nome é Fábio Becker, sou cliente de vcs",
        "Aqui é a Ana, da Lumiar Fibra.",
        "me chamo João da Silva e queria saber",
        "aqui quem fala é Dona Maria de Souza",
        "my name is Tom O'Brien.",
        "aqui é rapidinho, só uma dúvida",  # not capitalized: not a name
        "Aqui é a Lumiar Fibra!",  # the company's own name, allowed
        "meu nome é Ana",  # once is enough
    ]
    names = introduced_names(texts, allow=["Lumiar Fibra"])
    assert names == [
        "Alexandre", "Fábio Becker", "Ana", "João da Silva", "Maria de Souza", "Tom O'Brien",
    ]  # fmt: skip
    assert introduced_names(["Aqui é a Lumiar Fibra!"]) == ["Lumiar Fibra"]
    assert introduced_names(["this is Lumiar 300, I'm Brazilian"]) == []


def test_the_name_detector_is_built_only_with_people():
    assert "name" not in [d.name for d in default_detectors()]
    assert "name" in [d.name for d in default_detectors(["Ana"])]


# --------------------------------------------------------------------------- scan and overlaps


def test_replacing_a_registered_detector_changes_the_default_scan():
    original = unregister_detector("cep")
    try:
        register_detector(RegexDetector("cep", "cep", re.compile(r"CEP (\d{8})"), group=1))
        assert found("CEP 88010-000 ou CEP 88010000") == ["88010000"]
    finally:
        register_detector(original, replace=True)
    assert found("CEP 88010-000") == ["88010-000"]


def test_scan_returns_non_overlapping_findings_sorted_by_start():
    text = "Fone 48 3222 1234 1234 5; e-mail a@b.com; CPF 529.982.247-25; IP 177.34.12.8"
    findings = scan(text)
    assert [f.kind for f in findings] == ["card", "email", "cpf", "ip"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert all(text[f.start : f.end] == f.value for f in findings)


def test_card_beats_the_phone_it_overlaps():
    # "48 3222 1234" reads as a landline and "3222 1234 1234 5" as a card: the longer wins
    assert [(f.kind, f.value) for f in scan("48 3222 1234 1234 5")] == [
        ("card", "3222 1234 1234 5")
    ]


def test_overlaps_go_to_the_longer_then_the_more_specific():
    phone = PIIFinding("phone", 0, 14, "11222333000181")
    cnpj = PIIFinding("cnpj", 0, 14, "11222333000181")
    short = PIIFinding("cep", 10, 16, "x")
    longer = PIIFinding("name", 14, 30, "y")
    assert resolve_overlaps([phone, cnpj, short, longer]) == [cnpj, longer]


def test_allowed_values_are_never_reported_however_punctuated():
    text = "Nosso telefone é (48) 3000-5821 ou +55 48 3000-5821; e-mail suporte@lumiarfibra.com.br"
    allow = ["(48) 3000-5821", "SUPORTE@lumiarfibra.com.br"]
    assert scan(text, allow=allow) == []
    assert len(scan(text)) == 3


# --------------------------------------------------------------------------- registry


def test_detectors_are_chosen_by_name_and_unknown_names_are_refused():
    assert [d.name for d in select_detectors(["cpf", "email"])] == ["cpf", "email"]
    assert set(DEFAULT_DETECTORS) <= set(registered_detectors())
    with pytest.raises(PIIConfigError) as err:
        select_detectors(["cpf", "passport"])
    assert isinstance(err.value, AfinaError)
    assert "passport" in str(err.value) and "cpf" in str(err.value)  # lists the known ones


def test_a_registered_detector_is_pluggable():
    contract = RegexDetector("contract", "contract", re.compile(r"\bLF-\d{6}\b"))
    register_detector(contract)
    try:
        with pytest.raises(PIIConfigError):
            register_detector(contract)
        chosen = select_detectors(["contract", "cpf"])
        text, findings = Pseudonymizer(chosen).scrub("contrato LF-138602, CPF 52998224725")
        assert text == "contrato <CONTRACT_1>, CPF <CPF_1>"
        assert [f.kind for f in findings] == ["contract", "cpf"]
    finally:
        unregister_detector("contract")
    assert "contract" not in registered_detectors()
    with pytest.raises(PIIConfigError):
        register_detector(NameDetector(["x"]))  # "name" is built per conversation


# --------------------------------------------------------------------------- pseudonymization


def test_the_same_value_gets_the_same_placeholder_within_a_conversation():
    p = Pseudonymizer(default_detectors(["Mariana Souza"]))
    first, findings = p.scrub("Oi Mariana! Seu fone (48) 99123-4567 e Ana@X.com?")
    second, _ = p.scrub("Sim: +55 48 99123-4567, ana@x.com, e o outro 48 98888-1234. Mariana Souza")
    assert first == "Oi <NAME_1>! Seu fone <PHONE_1> e <EMAIL_1>?"
    assert second == "Sim: <PHONE_1>, <EMAIL_1>, e o outro <PHONE_2>. <NAME_1>"
    assert p.mapping == {
        "mariana souza": "<NAME_1>",
        "48991234567": "<PHONE_1>",
        "ana@x.com": "<EMAIL_1>",
        "48988881234": "<PHONE_2>",
    }
    assert [f.value for f in findings] == ["Mariana", "(48) 99123-4567", "Ana@X.com"]


def test_conversations_do_not_share_placeholders():
    a, b = Pseudonymizer(), Pseudonymizer()
    assert a.scrub("x@y.com e z@y.com")[0] == "<EMAIL_1> e <EMAIL_2>"
    assert b.scrub("z@y.com")[0] == "<EMAIL_1>"
    assert "x@y.com" not in b.mapping


def test_a_saved_mapping_continues_the_numbering():
    first = Pseudonymizer()
    first.scrub("a@b.com, c@d.com")
    later = Pseudonymizer(mapping=first.mapping)
    assert later.scrub("c@d.com e e@f.com")[0] == "<EMAIL_2> e <EMAIL_3>"
    with pytest.raises(PIIConfigError):
        Pseudonymizer(mapping={"a@b.com": "EMAIL-1"})


def test_scrubbing_is_idempotent_and_placeholders_are_not_pii():
    p = Pseudonymizer(default_detectors(["Name Email", "Phone"]))
    once, _ = p.scrub("Phone: 48 99123-4567, Name Email <a@b.com> <EMAIL_9> <CPF_12345678909>")
    assert p.scrub(once) == (once, [])
    assert scan(once, default_detectors(["Name Email", "Phone"])) == []


def test_findings_point_into_the_original_text():
    text = "CPF 529.982.247-25, e-mail a@b.com"
    _, findings = Pseudonymizer().scrub(text)
    assert [text[f.start : f.end] for f in findings] == ["529.982.247-25", "a@b.com"]


_PIECES = [
    "529.982.247-25", "52998224725", "11.222.333/0001-81", "4111 1111 1111 1111",
    "(48) 99123-4567", "+55 48 99123-4567", "+44 20 7946 0958", "a@b.com", "177.34.12.8",
    "2804:14c::1", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "88010-000", "Ana", "Fábio",
    "<PHONE_1>", "R$ 99,90", "10:30", "14/03/2024", "Bearer abcdef0123456789ABCDEF",
]  # fmt: skip
_ALPHABET = "0123456789 .-+()/@:<>_abcdefxyzABCZáÁ,\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(_ALPHABET, max_size=12)), max_size=8))
def test_scrub_never_raises_and_leaves_nothing_to_find(parts):
    text = "".join(parts)
    detectors = default_detectors(["Ana Souza", "Fábio"])
    p = Pseudonymizer(detectors)
    scrubbed, findings = p.scrub(text)
    assert scan(scrubbed, detectors) == []
    assert p.scrub(scrubbed) == (scrubbed, [])
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert all(text[f.start : f.end] == f.value for f in findings)


# --------------------------------------------------------------------------- sample domain

# What the default detectors catch of each kind planted in the sample domain. Addresses are
# caught by their CEP only; contract numbers (LF-123456) and passports are the domain's own
# identifiers, for a RegexDetector registered by the user (see the registry test).
_CAUGHT_AS = {"email": "email", "phone": "phone", "cpf": "cpf", "card": "card", "name": "name"}


def test_every_planted_item_of_a_detected_kind_is_caught_in_a_sentence():
    items = json.loads(PII_JSON.read_text(encoding="utf-8"))
    missed = []
    for item in items:
        kind, value = item["kind"], item["value"]
        people = [value] if kind == "name" else []
        detectors = default_detectors(people)
        for template in ("Segue: {}. Obrigado!", "my details are {}, thanks", "{}"):
            found_here = [(f.kind, f.value) for f in scan(template.format(value), detectors)]
            if kind == "address":
                cep = re.search(r"\d{5}-\d{3}", value)
                ok = cep is not None and ("cep", cep.group(0)) in found_here
            elif kind in _CAUGHT_AS:
                ok = found_here == [(_CAUGHT_AS[kind], value)]
            else:
                ok = True
            if not ok:
                missed.append((kind, value, template, found_here))
    assert missed == []
    assert {i["kind"] for i in items} - set(_CAUGHT_AS) == {"address", "contract", "passport"}
