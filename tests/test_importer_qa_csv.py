"""CSV tables of question/answer pairs: columns found by name, a note saying which, and a
refusal with the option line to type when the names do not settle it."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from support import make_file, read_with

from afina.engine.errors import ParseError
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import import_candidates
from afina.engine.workspace import init_workspace
from afina.plugins.importers.tabular import CSVImporter
from afina.tui.cli.import_cmds import parse_options

FAQ_PT = """\
id,categoria,pergunta,resposta,fonte,atualizado
1,horário,Qual o horário da loja?,"Das 9h às 18h,
de segunda a sábado.",site,2024-01-05
2,pagamento,Aceitam cartão?,"Sim, débito e crédito.",site,2024-01-05
3,pagamento,E pix?,,site,2024-01-05
"""

BILINGUAL = """\
id;question_pt;answer_pt;question_en;answer_en;category
7;Qual o horário?;Das 9h às 18h.;What are the opening hours?;9am to 6pm.;hours
8;Aceitam cartão?;Sim.;Do you take cards?;Yes.;payment
"""


def texts(r) -> list[list[tuple[str | None, str]]]:
    return [[(t.role, t.text) for t in turns] for turns in r.turns]


def test_portuguese_faq_with_many_columns(tmp_path):
    f = make_file(tmp_path, "faq.csv", FAQ_PT)
    assert CSVImporter().sniff(f) >= 0.5
    r = read_with(CSVImporter, f)
    assert texts(r) == [
        [
            ("user", "Qual o horário da loja?"),
            ("assistant", "Das 9h às 18h,\nde segunda a sábado."),
        ],
        [("user", "Aceitam cartão?"), ("assistant", "Sim, débito e crédito.")],
    ]
    assert [dict(c.meta) for c in r.conversations] == [
        {"layout": "question-answer", "id": "1"},
        {"layout": "question-answer", "id": "2"},
    ]
    assert r.turns[0][0].place == "line 2 pergunta" and r.turns[0][1].place == "line 2 resposta"
    assert [(s.place, s.reason) for s in r.skips] == [("line 5", "row without an answer")]
    [note] = r.repairs
    assert note.place == "line 1"
    assert note.what == (
        "question/answer pairs from columns 'pergunta' (user) and 'resposta' (assistant)"
    )


def test_language_pairs_pick_the_first_and_say_how_to_pick_another(tmp_path):
    f = make_file(tmp_path, "faq.csv", BILINGUAL)
    assert CSVImporter().sniff(f) >= 0.5
    r = read_with(CSVImporter, f)
    assert texts(r)[0] == [("user", "Qual o horário?"), ("assistant", "Das 9h às 18h.")]
    [note] = r.repairs
    assert "'question_pt' (user) and 'answer_pt' (assistant)" in note.what
    assert "--option csv.question=question_en --option csv.answer=answer_en" in note.what
    english = read_with(CSVImporter, f, question="question_en", answer="answer_en")
    assert texts(english)[1] == [("user", "Do you take cards?"), ("assistant", "Yes.")]
    assert not english.repairs  # named by the person: nothing to explain


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("question,answer,source", "What?,That.,x", ("What?", "That.")),
        ("Q,A", "What?,That.", ("What?", "That.")),
        ("query,response,latency_ms", "What?,That.,12", ("What?", "That.")),
        ("prompt,completion", "What?,That.", ("What?", "That.")),
        ("Pergunta (PT),Resposta (PT)", "Oi?,Olá.", ("Oi?", "Olá.")),
        ("en_question,en_answer", "What?,That.", ("What?", "That.")),
        ("question_id,question,answer_start,answer", "9,What?,0,That.", ("What?", "That.")),
        ("user_question,bot_reply", "What?,That.", ("What?", "That.")),
        # Alpaca's layout as a table: the input belongs to the instruction
        (
            "instruction,input,output",
            "Translate,bom dia,good morning",
            ("Translate\n\nbom dia", "good morning"),
        ),
    ],
)
def test_pair_column_names(tmp_path, header, row, expected):
    f = make_file(tmp_path, "t.csv", f"{header}\n{row}\n")
    assert CSVImporter().sniff(f) >= 0.5
    r = read_with(CSVImporter, f)
    assert texts(r) == [[("user", expected[0]), ("assistant", expected[1])]]
    assert len(r.repairs) == 1


@pytest.mark.parametrize(
    ("header", "line"),
    [
        # several pairs share a column: which is meant cannot be told
        (
            "prompt,completion,response",
            "--option csv.question=prompt --option csv.answer=completion",
        ),
        ("question,answer,response", "--option csv.question=question --option csv.answer=answer"),
        # a question and two answers that pair with it by name
        (
            "question,answer_short,answer_long",
            "--option csv.question=question --option csv.answer=answer_short",
        ),
        # nothing fits at all
        ("id,title,notes", "--option csv.question=COLUMN --option csv.answer=COLUMN"),
    ],
)
def test_unclear_tables_are_refused_with_the_option_line(tmp_path, header, line):
    f = make_file(tmp_path, "t.csv", f"{header}\na,b,c\n")
    with pytest.raises(ParseError) as refused:
        read_with(CSVImporter, f)
    assert refused.value.place == "line 1"
    assert line in refused.value.problem


def test_option_line_is_quoted_for_the_shell(tmp_path):
    f = make_file(tmp_path, "t.csv", "My Question,answer one,answer two\na,b,c\n")
    with pytest.raises(ParseError) as refused:
        read_with(CSVImporter, f)
    assert "'csv.question=My Question'" in refused.value.problem


def test_named_columns_are_checked(tmp_path):
    f = make_file(tmp_path, "t.csv", "a,b\nx,y\n")
    with pytest.raises(ParseError, match=r"no column 'nope' for option answer; columns: 'a', 'b'"):
        read_with(CSVImporter, f, question="a", answer="nope")
    with pytest.raises(ParseError, match=r"--option csv.question=a --option csv.answer=COLUMN"):
        read_with(CSVImporter, f, question="a")
    r = read_with(CSVImporter, f, question="A", answer="b")  # case does not matter
    assert texts(r) == [[("user", "x"), ("assistant", "y")]]


def test_message_tables_are_unchanged(tmp_path):
    # A text column means one message a row, even beside an answer-like column.
    f = make_file(tmp_path, "m.csv", "speaker,text,reply\nana,oi,x\nbob,olá,y\n")
    r = read_with(CSVImporter, f)
    assert texts(r) == [[(None, "oi"), (None, "olá")]]
    assert not r.repairs


def cli_options(line: str) -> tuple[str, ...]:
    words = shlex.split(line)
    return tuple(words[i + 1] for i, w in enumerate(words) if w == "--option")


def test_import_summary_shows_the_note_and_the_refusal_line_works(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    faq = tmp_path / "faq.csv"
    faq.write_text(BILINGUAL, encoding="utf-8")
    unclear = tmp_path / "unclear.csv"
    unclear.write_text("prompt,completion,response\nhi,hello,hey\n", encoding="utf-8")

    def run(path: Path, line: str = ""):
        options = parse_options(cli_options(line), None) if line else None
        with ws.open_store() as store:
            return import_candidates(store, Sniffer(None).candidates([path]), options)

    [s] = run(faq)
    assert (s.importer, s.status, s.conversations, s.turns) == ("csv", "imported", 2, 4)
    assert s.notes[0][0] == "line 1" and "'question_pt' (user)" in s.notes[0][1]
    [s] = run(unclear)
    assert (s.importer, s.status) == ("csv", "refused")
    line = s.reason[s.reason.index("--option") :]
    [s] = run(unclear, line)  # typed as the refusal says
    assert (s.status, s.conversations) == ("imported", 1)
