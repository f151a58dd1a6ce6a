from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_item, assert_survives, garbled, make_file, memory_file, read_with

from afina.engine.demo.stages import sample_domain
from afina.engine.errors import ParseError
from afina.plugins.importers.faq_markdown import FAQMarkdownImporter

FAQ = """\
# Perguntas frequentes

Respostas rápidas.

## Planos

### Quanto custa o plano de 300 mega?

O plano Lumiar 300 custa R$ 99,90 por mês.

### Vocês têm IP fixo?

Sim, por R$ 30,00 a mais.

- só no 600
- e no Giga

## Suporte

## Qual o horário do suporte? ##

Das 8h às 22h.

```
## Isto é código?
não é uma pergunta
```

## Tem loja física?
"""


def test_each_question_heading_is_a_pair(tmp_path):
    f = make_file(tmp_path, "faq.md", FAQ)
    assert FAQMarkdownImporter().sniff(f) >= 0.5
    r = read_with(FAQMarkdownImporter, f)
    assert [c.title for c in r.conversations] == [
        "Quanto custa o plano de 300 mega?",
        "Vocês têm IP fixo?",
        "Qual o horário do suporte?",
    ]
    assert [(t.role, t.text) for t in r.turns[1]] == [
        ("user", "Vocês têm IP fixo?"),
        ("assistant", "Sim, por R$ 30,00 a mais.\n\n- só no 600\n- e no Giga"),
    ]
    # a fenced block is answer text, not a heading
    assert r.turns[2][1].text.startswith("Das 8h às 22h.\n\n```\n## Isto é código?")
    assert [c.meta for c in r.conversations] == [
        {"section": "Planos"},
        {"section": "Planos"},
        {"section": "Suporte"},
    ]
    assert r.turns[0][0].place == "line 7" and r.turns[0][1].place == "line 8"
    # the last question has no answer: skipped and counted, the rest kept
    assert [(s.place, s.reason) for s in r.skips] == [
        ("line 29", "a question heading with no answer under it")
    ]


def test_keys_are_stable_so_a_reimport_adds_nothing(tmp_path):
    f = make_file(tmp_path, "faq.md", FAQ)
    first = [c.key for c in read_with(FAQMarkdownImporter, f).conversations]
    assert first == [c.key for c in read_with(FAQMarkdownImporter, f).conversations]
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("README.md", "# afina\n\nA tool.\n\n## Install\n\npip install afina\n"),
        ("one.md", "# Why afina?\n\nBecause.\n"),  # one question: an article
        ("faq.txt", "## A?\n\nb\n\n## C?\n\nd\n"),
        ("notes.md", ""),
    ],
)
def test_does_not_claim_other_markdown(tmp_path, name, content):
    assert FAQMarkdownImporter().sniff(make_file(tmp_path, name, content)) < 0.5


def test_a_page_without_questions_is_refused_with_a_reason(tmp_path):
    with pytest.raises(ParseError, match="no heading that asks"):
        read_with(FAQMarkdownImporter, make_file(tmp_path, "a.md", "# Title\n\ntext\n"))


def test_the_sample_domain_faq():
    item = as_item(sample_domain() / "docs" / "faq-pt.md")
    assert FAQMarkdownImporter().sniff(item) >= 0.5
    r = read_with(FAQMarkdownImporter, item)
    assert len(r.conversations) == 46 and not r.skips
    assert all(len(t) == 2 and t[1].text for t in r.turns)


@settings(max_examples=100, deadline=None)
@given(data=garbled(FAQ.encode(), st.binary(min_size=1, max_size=8) | st.just(b"\n## ?")))
def test_garbled_input_never_crashes(data):
    assert_survives(FAQMarkdownImporter, memory_file(data, "faq.md"))
