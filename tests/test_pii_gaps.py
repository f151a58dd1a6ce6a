"""The detector gaps a hostile probe found: IBANs, spaced CPFs, CEPs without a dash, spelled-out
e-mails, names in lower case or after "sou a", full names nobody introduced, and people known
only in another conversation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afina.engine.curation.pii import Pseudonymizer, conversation_scrubber, scan
from afina.engine.curation.pii_identifiers import iban_is_valid
from afina.engine.curation.pii_names import introduced_names
from afina.engine.curation.pii_people import GivenNameDetector, PeopleDetector
from afina.engine.types import StoredTurn


def kinds(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in scan(text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, value",
    [
        ("IBAN DE89 3704 0044 0532 0130 00 obrigado", "DE89 3704 0044 0532 0130 00"),
        ("conta GB82WEST12345698765432.", "GB82WEST12345698765432"),
        ("iban gb82 west 1234 5698 7654 32", "gb82 west 1234 5698 7654 32"),
        ("BR15 0000 0000 0000 1093 2840 814 P2 é a conta", "BR15 0000 0000 0000 1093 2840 814 P2"),
    ],
)
def test_ibans_of_any_country_are_found(text: str, value: str) -> None:
    assert ("iban", value) in kinds(text)


def test_an_iban_with_a_wrong_check_is_not_one() -> None:
    assert not iban_is_valid("DE89 3704 0044 0532 0130 01")
    assert all(k != "iban" for k, _ in kinds("DE89 3704 0044 0532 0130 01"))


def test_cpf_with_spaces_and_cep_without_dash() -> None:
    assert ("cpf", "123 456 789 09") in kinds("meu cpf é 123 456 789 09, ok")
    assert ("cep", "88015100") in kinds("meu CEP é 88015100")
    assert ("cep", "88015100") in kinds("moro na rua das Flores 12, 88015100")
    # eight bare digits without an address cue are an order number or a date, left alone
    assert kinds("pedido 88015100 confirmado em 20240115") == []


@pytest.mark.parametrize(
    "spelled",
    [
        "maria.souza at gmail dot com",
        "maria.souza [at] gmail [dot] com",
        "maria.souza arroba gmail ponto com",
        "Maria.Souza (at) gmail.com",
    ],
)
def test_spelled_out_emails_share_the_plain_address_placeholder(spelled: str) -> None:
    text, _ = Pseudonymizer().scrub(f"escreva para maria.souza@gmail.com ou {spelled}.")
    assert text == "escreva para <EMAIL_1> ou <EMAIL_1>."


def test_at_in_an_ordinary_sentence_is_not_an_email() -> None:
    assert kinds("meet me at noon, the date is at the top of the page.") == []


@pytest.mark.parametrize(
    "said, name",
    [
        ("oi, me chamo joana prado e queria saber do plano", "joana prado"),
        ("meu nome é fábio becker", "fábio becker"),
        ("Sou a Beatriz Lima, do 302", "Beatriz Lima"),
        ("sou o Pedro", "Pedro"),
        ("eu sou Ronaldo Teixeira", "Ronaldo Teixeira"),
    ],
)
def test_names_people_give_in_any_case_or_phrasing(said: str, name: str) -> None:
    assert introduced_names([said]) == [name]


@pytest.mark.parametrize(
    "said", ["sou a responsável pela conta", "eu sou de Floripa", "Eu sou Cliente há anos"]
)
def test_phrases_that_are_not_introductions(said: str) -> None:
    assert introduced_names([said]) == []


@pytest.mark.parametrize(
    "text, names",
    [
        ("o pedido está em nome de Joana Prado.", ["Joana Prado"]),
        ("Ligue para Fábio Becker ou Maria Souza", ["Fábio Becker", "Maria Souza"]),
        ("o Sr. Carlos Almeida e a dona Ivanilde ligaram", ["Carlos Almeida", "Ivanilde"]),
        ("João da Silva Pereira veio ontem", ["João da Silva Pereira"]),
        ("Oi Maria Tudo bem?", []),  # a given name alone, then a sentence word: not a full name
        ("a Rosa claro é linda; a dona da loja", []),
        (
            "@Daniel Hey Daniel :blush: Hi Grace Clarke",
            ["Grace Clarke"],
        ),  # a greeting is no surname
    ],
)
def test_full_names_written_by_an_agent(text: str, names: list[str]) -> None:
    assert [f.value for f in GivenNameDetector().find(text)] == names


def test_people_of_the_workspace_in_any_case_first_names_only_capitalized() -> None:
    people = PeopleDetector(["Ivanilde Rocha", "Aline", "Will Turner"])
    found = [f.value for f in people.find("ivanilde rocha ligou; a Aline e a aline; will Will")]
    assert found == ["ivanilde rocha", "Aline", "Will"]


def turn(speaker: str, text: str) -> StoredTurn:
    return StoredTurn(1, 1, 0, speaker, "user", text, None, None, None, (), "x", None)


def test_a_person_from_another_conversation_is_a_name_here() -> None:
    here = [turn("Lumiar Fibra", "Oi!"), turn("+55 48 99999-0000", "quero o plano")]
    alone = conversation_scrubber(here, allow=["Lumiar Fibra"])
    assert alone.scrub("a Ivanilde pediu")[0] == "a Ivanilde pediu"
    workspace = PeopleDetector(["Ivanilde Rocha"])
    known = conversation_scrubber(here, allow=["Lumiar Fibra"], workspace=workspace)
    assert known.scrub("a Ivanilde pediu; ivanilde rocha ligou")[0] == (
        "a <NAME_1> pediu; <NAME_2> ligou"
    )


def test_a_name_inside_an_allowed_value_stays() -> None:
    allow = ["Clínica Dr. Carlos Almeida"]
    assert kinds("Bem-vindo à Clínica Dr. Carlos Almeida", allow=allow) == []
    assert kinds("Fale com Joana Prado", allow=allow) == [("name", "Joana Prado")]


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abc ATdot@[]().-0123456789Maria Souza\n")), max_size=80)
)
def test_scrubbing_never_fails_and_scrubbing_twice_changes_nothing(text: str) -> None:
    pseudo = Pseudonymizer()
    once, _ = pseudo.scrub(text)
    assert pseudo.scrub(once)[0] == once


def test_a_full_name_in_many_conversations_is_kept_one_in_a_single_one_is_not(
    tmp_path, monkeypatch
) -> None:
    """A product or a place named like a person ("Aurora Care", in every chat) stays; a
    customer an agent looked up ("Carla Mendes", in one chat) is replaced."""
    from afina.engine.curation.extract import ExtractOptions
    from afina.engine.curation.extract_run import extract_to_store
    from afina.engine.store import Store
    from afina.engine.types import Conversation, PairFilter, Turn

    monkeypatch.setenv("AFINA_CACHE_DIR", str(tmp_path / "cache"))
    store = Store(tmp_path / "afina.db")
    with store.transaction():
        writer = store.begin_source("/chats", "sha", "whatsapp", 1)
        for i in range(6):
            lookup = " Achei o cadastro de Carla Mendes." if i == 0 else ""
            turns = [
                Turn(f"+55 48 99999-00{i:02d}", f"quanto custa o plano? ({i})", str(2 * i)),
                Turn("Clínica", f"O plano Aurora Care custa R$ 89.{lookup}", str(2 * i + 1)),
            ]
            writer.add_conversation(Conversation(f"c{i}", None, "$", turns))
        writer.finish()
    report = extract_to_store(store, ExtractOptions(assistant_speakers=("Clínica",)))
    answers = [p.response for p in store.pairs(PairFilter())]
    assert report.kept_names == ("Aurora Care",)
    assert all("Aurora Care" in a for a in answers)
    assert "<NAME_1>" in answers[0] and "Carla" not in " ".join(answers)


def test_the_business_name_given_at_init_is_never_scrubbed(tmp_path) -> None:
    from afina.engine.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "ws", name="Helena Vasconcelos Veterinária")
    assert "Helena Vasconcelos Veterinária" in ws.scrub_allow()
    assert kinds("A Helena Vasconcelos Veterinária abre às 8h", allow=ws.scrub_allow()) == []
