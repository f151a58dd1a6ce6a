"""Dedupe: planted exact and near duplicates are found, the best-ranked member is kept, and
clearly different texts are never merged."""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afina.engine.curation.dedupe import DedupeConfig, DedupeError, dedupe, group_duplicates
from afina.engine.curation.minhash import normalize_text, shingle_hashes

ANSWER = (
    "O plano Lumiar 600 custa R$ 129,90 por mês, com instalação grátis e roteador Wi-Fi 6 "
    "incluso. A fidelidade é de doze meses e a multa por cancelamento antecipado é "
    "proporcional aos meses que faltam. Você pode contratar pelo site ou pelo WhatsApp."
)
QUESTION = "Quanto custa o plano de 600 mega e tem fidelidade?"
PAIR = f"{QUESTION}\n{ANSWER}"

# Clearly different support pairs: they share vocabulary ("o", "plano", "roteador") but not text.
DIFFERENT = [
    "Qual o horário da loja? Atendemos de segunda a sexta das 8h às 20h e aos sábados até 14h.",
    "Meu roteador pisca vermelho. Desligue da tomada por 30 segundos e ligue de novo.",
    "Como pago a fatura? Pelo Pix com a chave do boleto ou no app, na aba Faturas.",
    "Posso mudar de plano? Sim, a troca vale a partir do próximo ciclo de cobrança.",
    "The internet is slow at night. Please run a speed test by cable and send us the result.",
    "Do you install in Campeche? Yes, installation takes up to five business days there.",
    "Qual a senha padrão do Wi-Fi? Ela está na etiqueta embaixo do roteador.",
    "Quero cancelar. Sentimos muito! O cancelamento é feito pelo telefone 0800 da Lumiar.",
    "How do I change the Wi-Fi name? Open 192.168.0.1 in the browser and log in as admin.",
    "Tem desconto para estudante? Temos 10% no plano 300 com comprovante de matrícula.",
    "O técnico não apareceu. Peço desculpas, vou reagendar a visita para amanhã de manhã.",
    "Aceitam cartão de crédito? Sim, em até três vezes sem juros na taxa de adesão.",
]


def items(*texts: str, ranks: list[int] | None = None) -> list[tuple[int, str, int]]:
    ranks = ranks or [0] * len(texts)
    return [(i + 1, t, r) for i, (t, r) in enumerate(zip(texts, ranks, strict=True))]


def one_word_changed(text: str, rng: random.Random) -> str:
    words = text.split()
    at = rng.randrange(len(words))
    words[at] = "diferente" if words[at] != "diferente" else "outro"
    return " ".join(words)


def test_normalization_folds_case_punctuation_spacing_accents_and_width() -> None:
    assert normalize_text("  Olá,   MUNDO!!  Tudo bem?? ") == "ola mundo tudo bem"
    assert normalize_text("ＡＢＣ ﬁm") == "abc fim"  # NFKC: full width, ligature
    assert normalize_text("ação", fold_accents=False) == "ação"
    # A text with no words keeps its pieces: two different emoji are not duplicates.
    assert normalize_text("👍") != normalize_text("👎")
    assert normalize_text("") == ""


def test_signatures_are_datasketchs_minhash_of_the_same_shingles() -> None:
    from datasketch import MinHash

    cfg = DedupeConfig()
    texts = [PAIR, "oi, tudo bem?", "!!!"]
    groups = group_duplicates(items(*texts), cfg)
    for row, text in enumerate(texts):
        reference = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=lambda v: v)
        reference.update_batch(shingle_hashes(text, cfg))
        assert np.array_equal(groups.signatures[row], reference.hashvalues)


def test_short_texts_are_cut_into_character_ngrams() -> None:
    assert len(shingle_hashes("oi tudo bem")) == len("oi tudo bem") - 3  # 4-grams
    words = normalize_text(PAIR).split()
    assert len(shingle_hashes(PAIR)) == len(set(pairwise(words)))  # bigrams


def test_exact_duplicates_keep_the_best_ranked_member() -> None:
    variants = [PAIR, PAIR.upper(), "  " + PAIR.replace(",", " ,") + "!!", PAIR.replace("ê", "e")]
    result = dedupe(items(*variants, ranks=[0, 2, 1, 2]))
    [cluster] = result.clusters
    assert (cluster.kind, cluster.kept, cluster.similarity) == ("exact", 2, 1.0)  # rank 2, lower id
    assert cluster.dropped == (1, 3, 4)
    assert result.drop == {1, 3, 4}
    assert result.stats.exact_dropped == 3 and result.stats.near_dropped == 0


def test_near_duplicates_are_found_and_the_best_member_kept() -> None:
    rng = random.Random(7)
    near = [one_word_changed(PAIR, rng) for _ in range(3)]
    result = dedupe(items(PAIR, *near, *DIFFERENT, ranks=[1, 0, 3, 0] + [0] * len(DIFFERENT)))
    [cluster] = result.clusters
    assert cluster.kind == "near" and cluster.kept == 3
    assert cluster.dropped == (1, 2, 4)
    assert 0.7 <= cluster.similarity < 1.0
    assert result.drop == {1, 2, 4}


def test_a_component_with_exact_and_near_members_gets_one_cluster_of_each() -> None:
    edited = one_word_changed(PAIR, random.Random(1))
    result = dedupe(items(PAIR, PAIR.lower(), edited, ranks=[0, 5, 1]))
    kinds = {c.kind: c for c in result.clusters}
    assert kinds["exact"].kept == kinds["near"].kept == 2
    assert kinds["exact"].dropped == (1,) and kinds["near"].dropped == (3,)
    assert 2 not in result.drop


def test_clearly_different_texts_are_never_merged() -> None:
    rng = random.Random(3)
    vocab = [f"palavra{i}" for i in range(400)]
    noise = [" ".join(rng.choices(vocab, k=rng.randint(12, 60))) for _ in range(300)]
    result = dedupe(items(*DIFFERENT, *noise))
    assert result.clusters == () and result.drop == frozenset()


def test_lsh_candidates_from_datasketch_that_verify_end_in_one_cluster() -> None:
    from datasketch import LeanMinHash, MinHashLSH

    rng = random.Random(11)
    texts = [*DIFFERENT, PAIR, *(one_word_changed(PAIR, rng) for _ in range(4))]
    cfg = DedupeConfig()
    groups = group_duplicates(items(*texts), cfg)
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm, weights=(0.1, 0.9))
    sketches = [
        LeanMinHash(seed=cfg.seed, hashvalues=row, scheme="affine32") for row in groups.signatures
    ]
    for row, m in enumerate(sketches):
        lsh.insert(row, m)
    for row, m in enumerate(sketches):
        for other in lsh.query(m):
            if m.jaccard(sketches[other]) >= cfg.threshold:
                assert groups.components[row] == groups.components[other]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=-3, max_value=3), min_size=2, max_size=6))
def test_kept_member_is_the_highest_rank_then_the_lowest_id(ranks: list[int]) -> None:
    texts = [PAIR.upper() if i % 2 else PAIR for i in range(len(ranks))]
    result = dedupe(items(*texts, ranks=ranks))
    best = max(range(len(ranks)), key=lambda i: (ranks[i], -i)) + 1
    [cluster] = result.clusters
    assert cluster.kept == best
    assert set(cluster.dropped) == set(range(1, len(ranks) + 1)) - {best}


def test_input_is_streamed_once_and_empty_input_is_fine() -> None:
    stream = ((i, t, 0) for i, t in enumerate([PAIR, PAIR], start=1))
    assert dedupe(stream).drop == {2}
    empty = dedupe([])
    assert empty.clusters == () and empty.stats.items == 0


def test_bad_input_and_settings_are_refused_clearly() -> None:
    with pytest.raises(DedupeError, match="given more than once"):
        dedupe([(1, "a", 0), (1, "b", 0)])
    with pytest.raises(DedupeError, match="must be a string"):
        dedupe([(1, None, 0)])  # type: ignore[list-item]
    with pytest.raises(DedupeError, match="threshold"):
        DedupeConfig(threshold=1.5)
    with pytest.raises(DedupeError, match="num_perm"):
        DedupeConfig(num_perm=1)
