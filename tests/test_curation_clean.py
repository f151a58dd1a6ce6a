"""Cleaning and quality rules: each rule keeps, rewrites or drops; the pipeline counts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afina.engine.curation.clean import (
    DEFAULT_CONFIG,
    RULES,
    Pipeline,
    build_rules,
    default_pipeline,
    make_rule,
    rule_options,
)
from afina.engine.curation.clean_rules import approx_tokens
from afina.engine.curation.filter_rules import (
    Language,
    Length,
    Templates,
    Trivial,
    find_template_vars,
)
from afina.engine.curation.text_rules import Normalize, Placeholders, Urls, normalize_whitespace
from afina.engine.errors import ConfigError
from afina.engine.types import PairDraft


def pair(
    prompt: str, response: str, *context: tuple[str, str], system: str | None = None
) -> PairDraft:
    return PairDraft(1, prompt, response, tuple(context), system, (10, 11))


# --- normalize ----------------------------------------------------------------------------


def test_normalize_collapses_spaces_newlines_and_invisible_marks() -> None:
    draft = pair(
        "oi,\u00a0 boa tarde\u200b\r\n\r\n\r\n\r\nqual o preço\u200f do plano?  ",
        "\u202aO Lumiar 300\tcusta R$ 99,90.\u202c",
        ("user", "  oi\u2028tudo bem?  "),
    )
    new, hits = Normalize().apply(draft)
    assert new is not None
    assert new.prompt == "oi, boa tarde\n\nqual o preço do plano?"
    assert new.response == "O Lumiar 300 custa R$ 99,90."
    assert new.context == (("user", "oi\ntudo bem?"),)
    assert new.turn_ids == draft.turn_ids
    assert {h.field for h in hits} == {"prompt", "response", "context"}


def test_normalize_keeps_emoji_sequences_and_code_indentation() -> None:
    family = "👨\u200d👩\u200d👧"
    code = "```python\ndef f():\n    return  1\n```"
    text = f"Para a família {family}  veja:\n{code}"
    assert normalize_whitespace(text) == f"Para a família {family} veja:\n{code}"
    assert normalize_whitespace("palavra\u200d  solta") == "palavra solta"


def test_normalize_leaves_clean_text_alone() -> None:
    draft = pair("qual o horário da loja?", "Segunda a sexta, das 9h às 18h.")
    assert Normalize().apply(draft) == (draft, [])
    assert Normalize().apply(draft)[0] is draft


def test_normalize_drops_a_pair_left_without_text() -> None:
    new, hits = Normalize().apply(pair("\u200b\u200e", "Oi!"))
    assert new is None
    assert any(h.field == "prompt" and "empty" in h.detail for h in hits)


def test_strip_markup_renders_slack_and_markdown() -> None:
    rule = Normalize(strip_markup=True)
    draft = pair(
        "<@U059BBTFDKU|hannah> asked: is the *fastest* plan worth it? :thinking_face:",
        "Hey Hannah :blush: **Lumiar 1 Giga** is R$ 199,90 &amp; see "
        "<https://lumiarfibra.com.br/planos|our plans> or [the FAQ](https://lumiarfibra.com.br/faq)."
        "\n# Tip\nRun `speedtest` over a cable. Keep snake_case and 2*3*4 as they are.",
    )
    new, hits = rule.apply(draft)
    assert new is not None
    assert new.prompt == "@hannah asked: is the fastest plan worth it?"
    assert new.response == (
        "Hey Hannah Lumiar 1 Giga is R$ 199,90 & see our plans (https://lumiarfibra.com.br/planos)"
        " or the FAQ (https://lumiarfibra.com.br/faq).\nTip\nRun speedtest over a cable. "
        "Keep snake_case and 2*3*4 as they are."
    )
    assert all("markup" in h.detail for h in hits)
    # Off by default: Markdown is part of an assistant's answer.
    assert Normalize().apply(pair("q?", "**sim**"))[0] == pair("q?", "**sim**")


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab \t\n\r\u200b\u200d\u00a0\u202e😀`é")), max_size=40)
)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_whitespace(text)
    assert normalize_whitespace(once) == once
    assert once == once.strip()


# --- placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        "[media]",
        "<Mídia oculta>",
        "<Media omitted>",
        "[image]",
        "[file: IMG_1329.jpg]",
        "‎image omitted",
    ],
)
def test_a_response_that_is_only_a_placeholder_drops_the_pair(response: str) -> None:
    new, hits = Placeholders().apply(pair("qual a senha do wifi?", response))
    assert new is None
    assert [h.field for h in hits if "only a placeholder" in h.detail] == ["response"]


def test_placeholders_inside_text_are_removed() -> None:
    draft = pair(
        "segue o print [image] tá dando erro\n<Mídia oculta>\nEsta mensagem foi apagada\nme ajuda?",
        "Vi aqui <Mensagem editada>. Reinicia o roteador, por favor.",
        ("user", "[media]"),
        ("assistant", "Oi! Aqui é a Ana."),
    )
    new, hits = Placeholders().apply(draft)
    assert new is not None
    assert new.prompt == "segue o print tá dando erro\nme ajuda?"
    assert new.response == "Vi aqui. Reinicia o roteador, por favor."
    assert new.context == (("assistant", "Oi! Aqui é a Ana."),)
    assert {h.field for h in hits} == {"prompt", "response", "context"}


def test_placeholders_keep_ordinary_text_and_take_extra_ones() -> None:
    draft = pair("ele saiu de casa e a internet caiu", "Vou abrir um chamado [anexo do sistema].")
    assert Placeholders().apply(draft) == (draft, [])
    new, _ = Placeholders(extra=("[anexo do sistema]",)).apply(draft)
    assert new is not None and new.response == "Vou abrir um chamado."


# --- urls ---------------------------------------------------------------------------------

WITH_URL = pair(
    "where do I see outages?",
    "At https://status.lumiarfibra.com.br. Or see (https://example.org/wiki/Fiber_(optics)).",
)


def test_urls_kept_by_default_but_flagged() -> None:
    new, hits = Urls().apply(WITH_URL)
    assert new is WITH_URL
    assert [h.detail for h in hits] == [
        "web address: https://status.lumiarfibra.com.br",
        "web address: https://example.org/wiki/Fiber_(optics)",
    ]


def test_urls_replaced_or_dropped() -> None:
    new, hits = Urls(mode="replace").apply(WITH_URL)
    assert new is not None
    assert new.response == "At <URL>. Or see (<URL>)."
    assert [h.field for h in hits] == ["response"]
    dropped, hits = Urls(mode="drop").apply(WITH_URL)
    assert dropped is None and len(hits) == 2


def test_urls_on_kept_domains_stay() -> None:
    rule = Urls(mode="drop", keep_domains=("lumiarfibra.com.br",))
    draft = pair("speed test?", "Use www.velocidade.lumiarfibra.com.br, over a cable.")
    assert rule.apply(draft) == (draft, [])
    assert rule.apply(WITH_URL)[0] is None  # example.org is not kept


def test_urls_mode_is_checked() -> None:
    with pytest.raises(ConfigError, match="mode must be one of keep, replace, drop"):
        Urls(mode="remove")


# --- length -------------------------------------------------------------------------------


def test_length_limits_in_tokens_with_a_pluggable_counter() -> None:
    chars = len  # a "tokenizer" that counts characters makes the limits easy to read
    rule = Length(
        min_response_tokens=5, max_prompt_tokens=20, max_total_tokens=40, count_tokens=chars
    )
    assert rule.apply(pair("qual o preço?", "R$ 99,90"))[0] is not None
    short, hits = rule.apply(pair("qual o preço?", "R$ 9"))
    assert short is None and hits[0].detail == "response has 4 tokens, fewer than 5"
    long_prompt, hits = rule.apply(pair("x" * 21, "resposta"))
    assert long_prompt is None and hits[0].field == "prompt"
    # The total counts context and system too.
    crowded = pair("qual o preço?", "R$ 99,90", ("user", "x" * 20), system="sys")
    assert rule.apply(crowded)[0] is None
    assert Length(max_total_tokens=0, count_tokens=chars).apply(crowded)[0] is crowded


def test_approximate_token_count_is_near_a_real_tokenizer() -> None:
    assert approx_tokens("") == 0
    assert approx_tokens("oi") == 1
    assert approx_tokens("O Lumiar 300 custa R$ 99,90.") == 10
    assert approx_tokens("internationalization") == 4  # long words count as several


# --- trivial answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        "ok",
        "Obrigadaaa!!",
        "👍",
        "   ",
        "vlw",
        "De nada!",
        "Eu que agradeço! Boa tarde.",
        "You're welcome! Have a great day :blush:",
        "Por nada! Qualquer coisa é só chamar 😊",
    ],
)
def test_trivial_answers_are_dropped(response: str) -> None:
    new, hits = Trivial().apply(pair("obrigada pela ajuda", response))
    assert new is None
    assert hits[0].field == "response"


@pytest.mark.parametrize(
    "response",
    ["Sim, aceitamos cartão de crédito.", "Yes, we take credit cards.", "Lumiar 300: R$ 99,90/mês"],
)
def test_real_answers_are_kept(response: str) -> None:
    draft = pair("aceitam cartão?", response)
    assert Trivial().apply(draft) == (draft, [])


def test_trivial_options() -> None:
    draft = pair("ok", "Sim")
    assert Trivial().apply(draft)[0] is None
    assert Trivial(max_words=0, phrases=()).apply(draft)[0] is draft
    assert Trivial(check_prompt=True, max_words=0, phrases=()).apply(pair("👍", "Sim"))[0] is None


# --- template variables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Olá {{nome}}, tudo bem?", ["{{nome}}"]),
        ("Olá {nome}, seu protocolo é {0}", ["{nome}", "{0}"]),
        ("Oi ${cliente.nome}!", ["${cliente.nome}"]),
        ("Sua fatura de %s vence dia %d", ["%s", "%d"]),
        ("Dear <<FIRST NAME>>,", ["<<FIRST NAME>>"]),
        ("50% de desconto, R$ 99,90, 100%s", []),
        ('The API returns {"plan": "300"}', []),
        ("In Python: `print('%s' % name)` or ```\nf'{name}'\n```", []),
    ],
)
def test_template_variables_found(text: str, found: list[str]) -> None:
    assert find_template_vars(text) == found


def test_templates_drop_or_flag() -> None:
    draft = pair("qual o prazo?", "Olá {{nome}}, o prazo é de 5 dias úteis.")
    new, hits = Templates().apply(draft)
    assert new is None and hits[0].detail == "template variable {{nome}}"
    assert Templates(action="flag").apply(draft) == (draft, hits)
    with pytest.raises(ConfigError):
        Templates(action="fix")


# --- language -----------------------------------------------------------------------------

PT_EN = Language(allowed=("pt", "en"), check_prompt=True)


def test_language_keeps_allowed_languages_and_drops_others() -> None:
    pt = pair(
        "nao consigo acessar a internet desde ontem, ja reiniciei o roteador",
        "Vou abrir um chamado técnico agora e um técnico te liga em até 24 horas.",
    )
    en = pair(
        "hello hello do u accept credit card?",
        "Hi Tom, thanks for reaching out! You can pay by Pix, boleto or credit card.",
    )
    es = pair(
        "¿Cuál es el precio del plan más rápido? Quiero contratarlo hoy.",
        "El plan más rápido cuesta R$ 199,90 al mes y la instalación es gratuita.",
    )
    assert PT_EN.apply(pt) == (pt, [])
    assert PT_EN.apply(en) == (en, [])
    dropped, hits = PT_EN.apply(es)
    assert dropped is None
    assert [h.field for h in hits] == ["prompt", "response"]
    assert "'es'" in hits[0].detail


def test_language_does_not_judge_short_texts_or_run_when_unconfigured() -> None:
    short = pair("¿precio?", "Gracias, hasta luego.")  # Spanish, but under min_chars
    assert PT_EN.apply(short) == (short, [])
    german = pair(
        "Wie viel kostet der schnellste Tarif?", "Der schnellste Tarif kostet 199,90 im Monat."
    )
    assert Language().apply(german) == (german, [])
    assert Language(allowed=("pt",)).apply(german)[0] is None
    # By default only the answer is judged: an English question answered in Portuguese stays.
    mixed = pair(
        "hello, do you accept credit cards for the monthly fee?",
        "Aceitamos sim: Pix, boleto ou cartão de crédito, como preferir.",
    )
    assert Language(allowed=("pt",)).apply(mixed) == (mixed, [])
    assert Language(allowed=("pt",), check_prompt=True).apply(mixed)[0] is None
    with pytest.raises(ConfigError, match="not a language code"):
        Language(allowed=("Portuguese",))


# --- pipeline -----------------------------------------------------------------------------

# A small day of support pairs in pt and en, with the usual mess.
DAY = [
    pair(
        "oi, boa tarde\nqual o preço do plano de 300 mega?", "O Lumiar 300 custa R$ 99,90 por mês."
    ),
    pair("tem app pra iphone??", "[media]"),  # placeholders: only a photo
    pair("perfeito, obriigada", "Eu que agradeço! Boa tarde."),  # trivial
    pair("qual o prazo de instalação?", "Olá {{nome}}! Em até 5 dias úteis."),  # templates
    pair("do u accept credit card?", "Yes! Pix, boleto or credit card, whatever suits you."),
    pair("outage?", "Check https://status.lumiarfibra.com.br\u200b  for outages."),  # rewritten
    pair(
        "¿Cuál es el precio del plan más rápido? Quiero contratarlo hoy.",
        "El plan más rápido cuesta R$ 199,90 al mes y la instalación es gratuita.",
    ),  # language
    pair("thx", "You're welcome! Have a great day :blush:"),  # trivial
]


def test_pipeline_counts_what_each_rule_removed() -> None:
    pipeline = Pipeline.from_config({"language": {"allowed": ["pt", "en"]}})
    assert pipeline.names == (
        "normalize",
        "placeholders",
        "urls",
        "templates",
        "boilerplate",
        "trivial",
        "length",
        "language",
    )
    result = pipeline.run(DAY)
    assert result.removed() == {
        "normalize": 0,
        "placeholders": 1,
        "urls": 0,
        "templates": 1,
        "boilerplate": 0,  # untaught: only `curate_store` teaches it the answers
        "trivial": 2,
        "length": 0,
        "language": 1,
    }
    counts = {c.rule: c for c in result.counts}
    assert counts["normalize"].changed == 1
    assert counts["urls"].hits == 1 and counts["urls"].changed == 0
    assert [o.draft.response for o in result.kept] == [
        "O Lumiar 300 custa R$ 99,90 por mês.",
        "Yes! Pix, boleto or credit card, whatever suits you.",
        "Check https://status.lumiarfibra.com.br for outages.",
    ]
    # Kept pairs carry their hits for review; dropped ones say which rule stopped them.
    assert [h.rule for h in result.kept[2].hits] == ["normalize", "urls"]
    assert sorted(o.dropped_by or "" for o in result.dropped) == [
        "language",
        "placeholders",
        "templates",
        "trivial",
        "trivial",
    ]
    assert pipeline.run(DAY, keep_dropped=False).dropped == []


def test_a_dropped_pair_stops_at_the_first_rule() -> None:
    result = default_pipeline().run([pair("oi", "[media]")])
    assert result.removed()["placeholders"] == 1
    assert {c.rule: c.hits for c in result.counts}["trivial"] == 0


def test_pipeline_is_deterministic() -> None:
    pipeline = Pipeline.from_config({"urls": {"mode": "replace"}})
    first, second = pipeline.run(DAY), pipeline.run(list(DAY))
    assert first.kept == second.kept and first.counts == second.counts


def test_config_builds_rules_in_pipeline_order() -> None:
    rules = build_rules(
        {
            "language": {"allowed": ["pt"], "min_confidence": 1},
            "urls": {"mode": "drop", "keep_domains": ["lumiarfibra.com.br"]},
            "templates": {"enabled": False},
        },
        count_tokens=len,
    )
    assert [r.name for r in rules] == [
        "normalize",
        "placeholders",
        "urls",
        "boilerplate",
        "trivial",
        "length",
        "language",
    ]
    urls, length, language = rules[2], rules[5], rules[6]
    assert isinstance(urls, Urls) and urls.keep_domains == ("lumiarfibra.com.br",)
    assert isinstance(length, Length) and length.count_tokens is len
    assert isinstance(language, Language) and language.min_confidence == 1.0
    assert set(DEFAULT_CONFIG) == set(RULES)
    assert rule_options("urls") == {"mode": "keep", "placeholder": "<URL>", "keep_domains": ()}
    assert "count_tokens" not in rule_options("length")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"spelling": {}}, "unknown cleaning rule 'spelling'"),
        ({"urls": {"mod": "drop"}}, "rule urls: unknown option 'mod'"),
        ({"length": {"max_prompt_tokens": "100"}}, "must be a int"),
        ({"length": {"max_prompt_tokens": 1.5}}, "must be a int"),
        ({"normalize": {"strip_markup": 1}}, "must be true or false"),
        ({"language": {"allowed": "pt"}}, "must be a list"),
        ({"language": {"allowed": [1]}}, "must be a list of strings"),
        ({"trivial": {"enabled": "no"}}, "enabled must be true or false"),
        ({"length": {"min_prompt_tokens": -1}}, "must be 0 or more"),
    ],
)
def test_bad_config_is_a_config_error(config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_rules(config)


def test_make_rule_by_name() -> None:
    rule = make_rule("trivial", {"max_words": 2})
    assert isinstance(rule, Trivial) and rule.max_words == 2
