"""Where rule hits are in the text: each rule's spans, and hit_spans over a field's hits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afina.engine.curation.clean import Pipeline
from afina.engine.curation.clean_rules import rule_spans
from afina.engine.curation.filter_rules import (
    _CODE,  # the patterns the rule uses, to check its spans against
    _TEMPLATE,
    Language,
    Length,
    Templates,
    Trivial,
    find_template_vars,
)
from afina.engine.curation.hit_spans import configured_rules, hit_spans
from afina.engine.curation.text_rules import Normalize, Placeholders, Urls
from afina.engine.types import PairDraft, RuleHit


def found(text: str, spans: list[tuple[int, int]] | list[tuple[int, int, str]]) -> list[str]:
    return [text[s[0] : s[1]] for s in spans]


# --- each rule's spans --------------------------------------------------------------------


def test_url_spans_leave_sentence_punctuation_and_kept_domains_out() -> None:
    text = "At https://status.lumiarfibra.com.br. Or see (https://example.org/wiki/Fiber_(optics))."
    assert found(text, Urls().spans(text)) == [
        "https://status.lumiarfibra.com.br",
        "https://example.org/wiki/Fiber_(optics)",
    ]
    kept = Urls(keep_domains=("lumiarfibra.com.br",))
    assert found(text, kept.spans(text)) == ["https://example.org/wiki/Fiber_(optics)"]


def test_url_spans_mark_the_placeholder_left_by_a_replacement() -> None:
    rule = Urls(mode="replace", placeholder="[link]")
    draft = PairDraft(1, "where?", "See www.example.com/status, or call us.")
    new, hits = rule.apply(draft)
    assert new is not None and new.response == "See [link], or call us."
    spans = hit_spans(new.response, hits, {"urls": rule})
    assert spans == [(4, 10, "urls")]


def test_template_spans_keep_their_place_after_code() -> None:
    text = "In Python: `print('%s' % name)` and ```\nf'{name}'\n```\nOlá {{nome}}, seu código é %s"
    spans = Templates().spans(text)
    assert found(text, spans) == ["{{nome}}", "%s"]
    assert found(text, spans) == find_template_vars(text)
    # Code counts when ignore_code is off, found where it is.
    assert found(text, Templates(ignore_code=False).spans(text)) == [
        "%s",
        "{name}",
        "{{nome}}",
        "%s",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Olá {{nome}}, tudo bem?",
        "Olá {nome}, seu protocolo é {0}",
        "Sua fatura de %s vence dia %d",
        "Dear <<FIRST NAME>>, see [[link]] and ${x}",
        "`{a}` {b} ```{c}``` {d}",
        "50% de desconto, R$ 99,90",
    ],
)
def test_template_spans_are_what_the_rule_finds(text: str) -> None:
    assert found(text, Templates().spans(text)) == find_template_vars(text)


@given(st.text(alphabet="{}%sd_ab$<>[] \n", max_size=50))
def test_template_spans_are_the_pattern_matches_in_plain_text(text: str) -> None:
    assert Templates().spans(text) == [m.span() for m in _TEMPLATE.finditer(text)]


@given(st.text(alphabet="{}%sd_`ab$ \n", max_size=50))
def test_template_spans_stay_out_of_code_and_in_order(text: str) -> None:
    code = [m.span() for m in _CODE.finditer(text)]
    spans = Templates().spans(text)
    assert spans == sorted(spans)
    assert all(a < b <= len(text) for a, b in spans)
    assert not any(c <= a < d for a, _ in spans for c, d in code)


def test_a_variable_around_code_is_reported_as_written() -> None:
    assert find_template_vars("Olá {{ `x` }}!") == ["{{ `x` }}"]


def test_placeholder_spans_cover_media_and_system_lines_not_the_space_before() -> None:
    text = (
        "segue o print [image] tá dando erro\n"
        "<Mídia oculta>\n"
        "  Esta mensagem foi apagada \n"
        "Vi aqui <Mensagem editada>. [anexo do sistema]"
    )
    assert found(text, Placeholders().spans(text)) == [
        "[image]",
        "<Mídia oculta>",
        "Esta mensagem foi apagada",
        "<Mensagem editada>",
    ]
    extra = Placeholders(extra=("[anexo do sistema]",))
    assert found(text, extra.spans(text))[-1] == "[anexo do sistema]"
    assert Placeholders().spans("ele saiu de casa e a internet caiu") == []


def test_rules_about_a_whole_field_have_no_spans() -> None:
    text = "ok https://example.com {{nome}} [image]"
    for rule in (Normalize(), Length(), Trivial(), Language(allowed=("pt",))):
        assert rule_spans(rule, text) == []
    assert rule_spans(Urls(), text) == [(3, 22)]


# --- hit_spans ----------------------------------------------------------------------------


def test_hit_spans_marks_only_what_the_hits_are_about() -> None:
    text = "Olá {{nome}}, veja https://example.com/fatura [image]"
    templates = [RuleHit("templates", "template variable {{nome}}", "response")]
    assert hit_spans(text, templates) == [(4, 12, "templates")]
    both = [*templates, RuleHit("urls", "web address: https://example.com/fatura", "response")]
    assert [(found(text, [s])[0], s[2]) for s in hit_spans(text, both)] == [
        ("{{nome}}", "templates"),
        ("https://example.com/fatura", "urls"),
    ]
    whole = [
        RuleHit("length", "response has 9 tokens, more than 5", "response"),
        RuleHit("trivial", "response is 1 word(s): 'ok'", "response"),
        RuleHit("duplicate", "exact duplicate of pair 3"),
        RuleHit("no-such-rule", "?", "response"),
    ]
    assert hit_spans(text, whole) == []


def test_pipeline_hits_are_found_again_in_the_text() -> None:
    """The template variables a pipeline reports are the spans marked, field by field."""
    draft = PairDraft(
        1,
        "qual o prazo? veja https://example.com/prazo",
        "Olá {{nome}}, o prazo é de %d dias. Detalhes em www.example.org/faq.",
        (("assistant", "Oi {cliente}!"),),
    )
    config: dict[str, dict[str, object]] = {"templates": {"action": "flag"}}
    outcome = Pipeline.from_config(config).check(draft)
    assert outcome.kept
    rules = configured_rules(config)
    fields = {"prompt": draft.prompt, "response": draft.response}
    fields["context"] = draft.context[0][1]
    for fld, text in fields.items():
        hits = [h for h in outcome.hits if h.field == fld]
        variables = [
            h.detail.removeprefix("template variable ") for h in hits if h.rule == "templates"
        ]
        addresses = [h.detail.removeprefix("web address: ") for h in hits if h.rule == "urls"]
        spans = hit_spans(text, hits, rules)
        assert [text[a:b] for a, b, r in spans if r == "templates"] == variables
        assert [text[a:b] for a, b, r in spans if r == "urls"] == addresses
    assert found(draft.response, hit_spans(draft.response, outcome.hits, rules)) == [
        "{{nome}}",
        "%d",
        "www.example.org/faq",
    ]


def test_configured_rules_take_the_workspace_options_and_survive_bad_ones() -> None:
    text = "see https://help.lumiar.com.br and https://example.com"
    hits = [RuleHit("urls", "web address", "response")]
    rules = configured_rules({"urls": {"keep_domains": ["lumiar.com.br"]}})
    assert found(text, hit_spans(text, hits, rules)) == ["https://example.com"]
    fallback = configured_rules({"urls": {"mode": "remove"}, "templates": {"colour": "red"}})
    assert fallback["urls"] == Urls() and fallback["templates"] == Templates()
    assert set(fallback) == {
        "normalize",
        "placeholders",
        "urls",
        "templates",
        "boilerplate",
        "trivial",
        "length",
        "language",
    }
