#!/usr/bin/env python3
"""Write afina's sample domain: the support history of Lumiar Fibra, a FICTIONAL internet provider.

Everything under ``datasets/sample_domain/`` comes from this script and nothing else:

* ``whatsapp/``     one zip per customer chat, as WhatsApp (Android, pt-BR) exports it;
* ``slack/``        an unzipped Slack export of the shared English support channel;
* ``docs/``         company documents (Markdown) for the RAG index;
* ``heldout.jsonl`` paraphrased questions with reference answers and the facts they must contain;
* ``facts.json``    the fact table below, for evaluators and tests;
* ``pii.json``      every piece of fake personal data planted in the chats, for scrubber tests;
* ``manifest.json`` the seed, the counts and how many conversations carry each kind of noise.

All of it derives from ``FACTS``, the one table of truth, so chats, documents and references
never contradict each other. The output is byte-identical on every run: one seeded RNG, no
dict/set iteration that depends on hashing, fixed zip timestamps, no wall-clock reads.

    python scripts/make_sample_domain.py            # rewrite datasets/sample_domain/
    python scripts/make_sample_domain.py --out DIR  # write somewhere else (the tests do)

Standard library only. All text here was written for afina; names, numbers, addresses and
companies are invented.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import shutil
import sys
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

SEED = 20240314
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "datasets" / "sample_domain"

N_WHATSAPP_CHATS = 176  # distinct Portuguese chats (plus exact re-exports, see N_WA_DUPLICATES)
N_WA_DUPLICATES = 4  # chats exported twice: same bytes, "(1)" in the file name
N_SLACK_THREADS = 118  # distinct English threads (plus re-posted ones, see N_SLACK_REPOSTS)
N_SLACK_REPOSTS = 2  # a customer posts the very same question again and gets the same answer

BRT = timezone(timedelta(hours=-3))  # Florianópolis: UTC-3, no daylight saving since 2019
FIRST_DAY = date(2024, 1, 8)
LAST_DAY = date(2024, 6, 28)


# --------------------------------------------------------------------------------------------
# The fact table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """How one fact is written in one language."""

    title: str  # section heading in the documents
    doc: str  # the fact as a document states it
    answers: tuple[str, ...]  # how an agent says it; answers[0] is the held-out reference
    asks: tuple[str, ...]  # how customers ask it in the chats
    heldout: tuple[str, ...] = ()  # paraphrases reserved for heldout.jsonl, never in the chats


@dataclass(frozen=True)
class Fact:
    id: str
    topic: str  # which company document it belongs to
    values: Mapping[str, str]  # the numbers, names and codes, as Portuguese writes them
    keys: tuple[str, ...]  # the values a correct answer must contain
    pt: Text
    en: Text
    values_en: Mapping[str, str] = field(default_factory=dict)  # where English writes it apart

    def vals(self, lang: str) -> dict[str, str]:
        out = dict(self.values)
        if lang == "en":
            out.update(self.values_en)
        return out

    def text(self, lang: str) -> Text:
        return self.pt if lang == "pt" else self.en

    def render(self, template: str, lang: str) -> str:
        return template.format(**self.vals(lang))

    def key_facts(self, lang: str) -> list[str]:
        vals = self.vals(lang)
        return [vals[k] for k in self.keys]


FACTS: tuple[Fact, ...] = (
    # ---------------------------------------------------------------- plans and prices
    Fact(
        "plan_300", "plans",
        {"name": "Lumiar 300", "speed": "300 Mbps", "price": "R$ 99,90"},
        ("name", "speed", "price"),
        Text(
            "Plano Lumiar 300",
            "O plano {name} oferece {speed} de download por {price} por mês.",
            ("O plano {name} tem {speed} de velocidade e custa {price} por mês.",
             "O {name} sai por {price}/mês, com {speed} de download."),
            ("quanto custa o plano de 300 mega?", "qual o valor do plano mais barato de vcs?",
             "Queria saber o preço do Lumiar 300", "o plano de 300 megas é quanto por mês?",
             "vcs tem plano mais em conta? quanto fica?"),
            ("Qual é a mensalidade do plano de entrada de 300 Mbps?",),
        ),
        Text(
            "Lumiar 300 plan",
            "The {name} plan gives you {speed} download for {price} per month.",
            ("The {name} plan has {speed} and costs {price} per month.",
             "{name} is {price}/month with {speed} download speed."),
            ("How much is the 300 mega plan?", "what's your cheapest plan and how much is it?",
             "price for Lumiar 300?", "Hi, how much do you charge for 300 Mbps?"),
            ("What is the monthly fee of the entry-level 300 Mbps plan?",),
        ),
    ),
    Fact(
        "plan_600", "plans",
        {"name": "Lumiar 600", "speed": "600 Mbps", "price": "R$ 129,90"},
        ("name", "speed", "price"),
        Text(
            "Plano Lumiar 600",
            "O plano {name} oferece {speed} de download por {price} por mês.",
            ("O {name} tem {speed} e custa {price} por mês. É o mais procurado por quem trabalha "
             "de casa.",
             "O plano de {speed} é o {name}: {price} por mês."),
            ("e o de 600 mega, quanto é?", "quanto fica o plano Lumiar 600?",
             "qual o preço do plano de 600?",
             "Boa tarde, gostaria de saber o valor do plano de 600 megas"),
            ("Quanto eu pagaria por mês se escolhesse o plano intermediário de 600 Mbps?",),
        ),
        Text(
            "Lumiar 600 plan",
            "The {name} plan gives you {speed} download for {price} per month.",
            ("{name} gives you {speed} for {price} per month. It's the most popular plan for "
             "people working from home.",
             "The {speed} plan is {name}, at {price} a month."),
            ("how much is the 600 plan?", "What does Lumiar 600 cost?",
             "price of the 600 Mbps plan pls", "how much for 600 mega?"),
            ("If I go for the mid-tier 600 Mbps option, what will I pay each month?",),
        ),
    ),
    Fact(
        "plan_giga", "plans",
        {"name": "Lumiar Giga", "speed": "1 Gbps", "price": "R$ 179,90"},
        ("name", "speed", "price"),
        Text(
            "Plano Lumiar Giga",
            "O plano {name} oferece {speed} de download por {price} por mês.",
            ("O {name} é o nosso plano de {speed} e custa {price} por mês.",
             "Temos sim! O {name}, com {speed}, sai por {price}/mês."),
            ("vcs tem plano de 1 giga?", "quanto custa o plano giga?",
             "qual o plano mais rapido de vcs e o preço?", "tem internet de 1 giga? qual valor"),
            ("Qual a velocidade máxima que vocês vendem e quanto ela custa por mês?",),
        ),
        Text(
            "Lumiar Giga plan",
            "The {name} plan gives you {speed} download for {price} per month.",
            ("{name} is our {speed} plan and it costs {price} per month.",
             "Yes! {name} gives you {speed} for {price}/month."),
            ("do you have gigabit internet?", "what's your fastest plan and how much?",
             "How much is Lumiar Giga?", "is there a 1 gig plan? price?"),
            ("What's the top speed tier you sell, and what's its monthly price?",),
        ),
    ),
    Fact(
        "plan_nomade", "plans",
        {"name": "Lumiar Nômade", "speed": "300 Mbps", "price": "R$ 139,90", "min": "30 dias"},
        ("name", "price", "min"),
        Text(
            "Plano Lumiar Nômade (temporada)",
            "O plano {name} é para quem fica pouco tempo em Florianópolis: {speed} por {price} "
            "por mês, sem fidelidade, com permanência mínima de {min}.",
            ("Temos o {name}: {speed} por {price} por mês, sem fidelidade. A permanência mínima "
             "é de {min}.",
             "Para temporada o ideal é o {name}. Custa {price}/mês, tem {speed} e você pode "
             "cancelar depois de {min} sem multa."),
            ("vou ficar só 2 meses em floripa, tem plano sem fidelidade?",
             "tem plano pra temporada?", "Preciso de internet só pro verão, vcs fazem?",
             "existe plano sem contrato longo?"),
            ("Estou alugando um apartamento por três meses; qual plano serve para uma estadia "
             "curta e quanto custa?",),
        ),
        Text(
            "Lumiar Nômade plan (short stays)",
            "The {name} plan is for people staying a short time in Florianópolis: {speed} for "
            "{price} per month, no loyalty period, minimum stay of {min}.",
            ("We have {name}: {speed} for {price} a month with no loyalty period. The minimum "
             "stay is {min}.",
             "For a short stay the best fit is {name}. It's {price}/month, {speed}, and you can "
             "cancel after {min} with no fee."),
            ("I'm only in Floripa for 2 months, do you have something without a 12 month "
             "contract?",
             "is there a plan for digital nomads?", "short term internet plan?",
             "Hi! Staying here for the summer, can I get internet just for a few months?"),
            ("I'm renting a flat for a season only; which plan fits a short stay and what does "
             "it cost?",),
        ),
        {"min": "30 days"},
    ),
    Fact(
        "upload", "plans",
        {"up300": "150 Mbps", "up600": "300 Mbps", "upgiga": "500 Mbps"},
        ("up300", "up600", "upgiga"),
        Text(
            "Velocidade de upload",
            "A velocidade de upload é metade da de download: {up300} no Lumiar 300 e no Lumiar "
            "Nômade, {up600} no Lumiar 600 e {upgiga} no Lumiar Giga.",
            ("O upload é metade do download: {up300} no Lumiar 300, {up600} no Lumiar 600 e "
             "{upgiga} no Lumiar Giga.",
             "Nossos planos têm upload de metade da velocidade contratada, então fica {up300} no "
             "300, {up600} no 600 e {upgiga} no Giga."),
            ("qual a velocidade de upload?", "o upload é igual ao download?",
             "preciso de upload bom pra live, quanto é o upload dos planos?",
             "a internet de vcs é simetrica?"),
            ("Quantos megas de envio cada plano entrega?",),
        ),
        Text(
            "Upload speed",
            "Upload speed is half the download speed: {up300} on Lumiar 300 and Lumiar Nômade, "
            "{up600} on Lumiar 600 and {upgiga} on Lumiar Giga.",
            ("Upload is half of the download speed: {up300} on Lumiar 300, {up600} on Lumiar 600 "
             "and {upgiga} on Lumiar Giga.",
             "Our upload is half the plan speed, so {up300} on the 300, {up600} on the 600 and "
             "{upgiga} on Giga."),
            ("what's the upload speed?", "is upload symmetric?",
             "I do video calls all day, how fast is the upload on each plan?"),
            ("How much sending bandwidth does each plan include?",),
        ),
    ),
    Fact(
        "static_ip", "plans",
        {"price": "R$ 30,00"},
        ("price",),
        Text(
            "IP fixo",
            "IP fixo é um adicional de {price} por mês, disponível nos planos Lumiar 600 e "
            "Lumiar Giga.",
            ("O IP fixo custa {price} por mês a mais e está disponível no Lumiar 600 e no Lumiar "
             "Giga.",
             "Dá sim, o IP fixo é um adicional de {price}/mês, mas só nos planos 600 e Giga."),
            ("vcs tem ip fixo?", "quanto custa ip fixo?", "preciso de ip fixo pra camera, tem?"),
            ("Quanto pago a mais para ter um endereço IP que não muda?",),
        ),
        Text(
            "Static IP",
            "A static IP is an add-on of {price} per month, available on Lumiar 600 and Lumiar "
            "Giga.",
            ("A static IP costs {price} extra per month and is available on Lumiar 600 and "
             "Lumiar Giga.",
             "Sure, static IP is a {price}/month add-on, only on the 600 and Giga plans."),
            ("do you offer a static IP?", "how much is a fixed IP?",
             "I need a static IP for my home server, is that possible?"),
            ("What's the extra monthly charge for an IP address that never changes?",),
        ),
    ),
    Fact(
        "mesh", "plans",
        {"name": "Lumibox Mesh", "price": "R$ 19,90"},
        ("name", "price"),
        Text(
            "Ponto extra de Wi-Fi",
            "O ponto extra {name} melhora o sinal em casas grandes e custa {price} por mês.",
            ("Temos o {name}, um ponto extra de Wi-Fi por {price} por mês. Resolve bem em casa de "
             "dois andares.",
             "Você pode alugar o {name} por {price}/mês, ele espalha o sinal pela casa toda."),
            ("o wifi nao chega no quarto do fundo", "vcs tem repetidor?",
             "minha casa é grande, o sinal nao pega la em cima"),
            ("Como melhorar a cobertura sem fio em uma casa de dois andares e quanto custa?",),
        ),
        Text(
            "Extra Wi-Fi point",
            "The {name} extra point improves the signal in large homes and costs {price} per "
            "month.",
            ("We have {name}, an extra Wi-Fi point for {price} per month. It works well in "
             "two-story houses.",
             "You can rent a {name} for {price}/month, it spreads the signal through the whole "
             "house."),
            ("wifi doesn't reach my bedroom", "do you rent wifi extenders?",
             "big house, the signal is weak upstairs"),
        ),
    ),
    Fact(
        "promo_code", "plans",
        {"code": "ILHA50", "pct": "50%", "months": "2 meses"},
        ("code", "pct", "months"),
        Text(
            "Cupom para novos clientes",
            "Novos clientes que usam o cupom {code} têm {pct} de desconto nos primeiros {months} "
            "em qualquer plano com fidelidade.",
            ("Pra cliente novo tem o cupom {code}: {pct} de desconto nos primeiros {months} em "
             "qualquer plano com fidelidade.",
             "Usa o cupom {code} na contratação que você ganha {pct} de desconto nos primeiros "
             "{months}."),
            ("tem algum cupom de desconto?", "vi um anuncio com cupom, como funciona?",
             "tem promoção pra cliente novo?"),
            ("Há alguma oferta para quem está assinando pela primeira vez?",),
        ),
        Text(
            "Coupon for new customers",
            "New customers who use the coupon {code} get {pct} off the first {months} on any "
            "plan with a loyalty period.",
            ("New customers can use the coupon {code}: {pct} off the first {months} on any plan "
             "with a loyalty period.",
             "Use the code {code} when you sign up and you get {pct} off the first {months}."),
            ("any promo code?", "do you have discounts for new customers?",
             "saw an ad with a coupon, how does it work?"),
            ("Is there any deal for first-time subscribers?",),
        ),
        {"months": "2 months"},
    ),
    Fact(
        "referral", "plans",
        {"credit": "R$ 50,00"},
        ("credit",),
        Text(
            "Indique a Lumiar",
            "No programa Indique a Lumiar, cada amigo indicado que instalar gera {credit} de "
            "crédito na fatura de quem indicou.",
            ("Cada amigo que você indicar e instalar vale {credit} de crédito na sua fatura. O "
             "link de indicação fica no app Minha Lumiar.",
             "Temos o Indique a Lumiar: {credit} de crédito na sua fatura por amigo que "
             "instalar."),
            ("se eu indicar um amigo ganho alguma coisa?", "vcs tem programa de indicação?",
             "meu vizinho quer contratar, ganho desconto?"),
            ("O que ganho quando alguém que eu recomendei vira cliente?",),
        ),
        Text(
            "Refer a friend",
            "With the Indique a Lumiar programme, every referred friend who gets installed gives "
            "{credit} of credit on the referrer's invoice.",
            ("Every friend you refer who gets installed is worth {credit} of credit on your "
             "invoice. The referral link is in the Minha Lumiar app.",
             "We have a referral programme: {credit} credit on your bill for each friend who "
             "signs up."),
            ("do you have a referral program?", "if I refer a friend do I get anything?",
             "my neighbour wants to sign up, any bonus for me?"),
        ),
    ),
    Fact(
        "nomad_code", "plans",
        {"code": "NOMADE10", "pct": "10%"},
        ("code", "pct"),
        Text(
            "Cupom do plano Nômade",
            "O cupom {code} dá {pct} de desconto em todas as mensalidades do plano Lumiar "
            "Nômade.",
            ("Para o Nômade tem o cupom {code}, que dá {pct} de desconto em todas as "
             "mensalidades.",
             "Usa o {code} que o Lumiar Nômade fica {pct} mais barato todo mês."),
            ("tem cupom pro plano nomade?", "o plano de temporada tem desconto?"),
            ("Existe código promocional para o plano de temporada?",),
        ),
        Text(
            "Nômade plan coupon",
            "The coupon {code} gives {pct} off every monthly fee of the Lumiar Nômade plan.",
            ("For Nômade there's the coupon {code}, which gives {pct} off every monthly fee.",
             "Use {code} and Lumiar Nômade is {pct} cheaper every month."),
            ("any coupon for the nomad plan?", "is there a discount for the short-stay plan?",
             "my coworking said there's a nomad discount code?"),
            ("Is there a promo code for the short-stay plan?",),
        ),
    ),
    # ---------------------------------------------------------------- installation
    Fact(
        "install_fee", "install",
        {"fee": "R$ 150,00", "months": "12 meses"},
        ("fee", "months"),
        Text(
            "Taxa de instalação",
            "A taxa de instalação é de {fee}. Ela é isenta para quem assina com fidelidade de "
            "{months}.",
            ("A instalação custa {fee}, mas é grátis se você fechar com fidelidade de {months}.",
             "A taxa de instalação é {fee}. Com fidelidade de {months} a gente isenta essa "
             "taxa."),
            ("tem taxa de instalação?", "quanto custa pra instalar?", "a instalação é gratis?",
             "vcs cobram alguma coisa pra instalar a fibra?"),
            ("Existe algum custo para colocarem a fibra na minha casa?",),
        ),
        Text(
            "Installation fee",
            "The installation fee is {fee}. It is waived for customers who sign up with a "
            "{months} loyalty period.",
            ("Installation costs {fee}, but it's free if you sign up with a {months} loyalty "
             "period.",
             "The installation fee is {fee}. We waive it when you choose the {months} loyalty "
             "period."),
            ("is there an installation fee?", "how much is installation?",
             "do I have to pay to get it installed?"),
            ("Will I be charged anything to have the fiber connected at home?",),
        ),
        {"months": "12 months"},
    ),
    Fact(
        "install_time", "install",
        {"island": "3 dias úteis", "mainland": "5 dias úteis"},
        ("island", "mainland"),
        Text(
            "Prazo de instalação",
            "A instalação é feita em até {island} na Ilha e em até {mainland} no Continente e "
            "em São José.",
            ("A instalação é feita em até {island} aqui na Ilha. No Continente e em São José o "
             "prazo é de até {mainland}.",
             "Depois do pedido, o técnico vai em até {island} se for na Ilha, ou em até "
             "{mainland} no Continente e em São José."),
            ("quanto tempo demora pra instalar?", "se eu contratar hoje quando instalam?",
             "qual o prazo de instalação?", "moro no estreito, demora quanto pra instalar?"),
            ("Depois de fechar o contrato, em quantos dias a internet fica pronta?",),
        ),
        Text(
            "Installation lead time",
            "Installation is done within {island} on the Island and within {mainland} on the "
            "mainland and in São José.",
            ("Installation is done within {island} on the Island. On the mainland and in São "
             "José it takes up to {mainland}.",
             "After you order, the technician comes within {island} on the Island, or within "
             "{mainland} on the mainland and in São José."),
            ("how long does installation take?", "if I sign up today when can you install?",
             "what's the lead time for installation?"),
            ("Once I sign up, how many days until my connection is working?",),
        ),
        {"island": "3 business days", "mainland": "5 business days"},
    ),
    Fact(
        "coverage", "install",
        {"city": "Florianópolis", "other": "São José"},
        ("city", "other"),
        Text(
            "Área de cobertura",
            "A Lumiar Fibra atende toda a cidade de {city} (Ilha e Continente) e {other}. Ainda "
            "não atendemos Palhoça nem Biguaçu.",
            ("Atendemos toda {city}, na Ilha e no Continente, e também {other}. Palhoça e "
             "Biguaçu ainda não.",
             "Nossa cobertura é {city} inteira e {other}. Por enquanto não chegamos em Palhoça "
             "nem em Biguaçu."),
            ("vcs atendem em palhoça?", "tem cobertura no campeche?", "Quais bairros vcs atendem?",
             "chega no meu bairro? moro em são josé"),
            ("Em quais cidades da Grande Florianópolis a Lumiar tem rede?",),
        ),
        Text(
            "Coverage area",
            "Lumiar Fibra covers all of {city} (Island and mainland) and {other}. We do not "
            "serve Palhoça or Biguaçu yet.",
            ("We cover all of {city}, both the Island and the mainland, plus {other}. Not "
             "Palhoça or Biguaçu yet.",
             "Our network covers the whole of {city} and {other}. Palhoça and Biguaçu are not "
             "covered for now."),
            ("do you cover Campeche?", "which areas do you serve?",
             "is Lumiar available in Palhoça?"),
            ("Which towns around Florianópolis does your network reach?",),
        ),
    ),
    Fact(
        "tech_window", "install",
        {"morning": "8h às 12h", "afternoon": "13h às 18h"},
        ("morning", "afternoon"),
        Text(
            "Janelas de visita técnica",
            "As visitas técnicas são agendadas em dois turnos: manhã, das {morning}, e tarde, "
            "das {afternoon}. Aos sábados há apenas o turno da manhã.",
            ("A visita técnica é marcada por turno: de manhã, das {morning}, ou à tarde, das "
             "{afternoon}. Sábado só tem o turno da manhã.",
             "Trabalhamos com janelas: manhã (das {morning}) ou tarde (das {afternoon}). Qual "
             "fica melhor pra você?"),
            ("o tecnico vem que horas?", "tem como marcar a visita pra tarde?",
             "qual horario o tecnico pode vir?", "vcs agendam horario certo ou é o dia todo?"),
            ("Em que faixas de horário o técnico costuma aparecer?",),
        ),
        Text(
            "Technician visit windows",
            "Technician visits are booked in two shifts: morning, {morning}, and afternoon, "
            "{afternoon}. On Saturdays there is only the morning shift.",
            ("Technician visits are booked by shift: morning, {morning}, or afternoon, "
             "{afternoon}. On Saturdays there is only the morning shift.",
             "We book in windows: morning ({morning}) or afternoon ({afternoon}). Which works "
             "better for you?"),
            ("what time will the technician come?", "can I book the visit for the afternoon?",
             "do you give an exact time for the tech?"),
            ("What time slots can a technician visit be scheduled in?",),
        ),
        {"morning": "8:00 to 12:00", "afternoon": "13:00 to 18:00"},
    ),
    Fact(
        "tech_visit_cost", "install",
        {"cost": "R$ 90,00"},
        ("cost",),
        Text(
            "Custo da visita técnica",
            "A visita técnica é gratuita quando o problema é na rede da Lumiar. Se o defeito for "
            "em equipamento ou cabeamento do cliente, a visita custa {cost}.",
            ("Se o problema for na nossa rede, a visita é grátis. Se for em equipamento ou "
             "fiação sua, a visita custa {cost}.",
             "Não tem custo quando o defeito é da Lumiar. Quando o problema está em aparelho ou "
             "cabo do cliente, cobramos {cost} pela visita."),
            ("a visita do tecnico é paga?", "vcs cobram pra mandar tecnico?",
             "se o tecnico vier aqui vou ter que pagar algo?"),
            ("Sou cobrado quando peço um técnico em casa?",),
        ),
        Text(
            "Technician visit cost",
            "A technician visit is free when the problem is on the Lumiar network. If the fault "
            "is in the customer's own equipment or wiring, the visit costs {cost}.",
            ("If the problem is on our network the visit is free. If it's your own equipment or "
             "wiring, the visit costs {cost}.",
             "It's free when the fault is ours. When the problem is in the customer's device or "
             "cabling we charge {cost} for the visit."),
            ("do you charge for a technician visit?", "is the tech visit free?"),
        ),
    ),
    Fact(
        "install_docs", "install",
        {"doc": "CPF", "passport": "passaporte", "proof": "comprovante de endereço"},
        ("doc", "passport", "proof"),
        Text(
            "Documentos para contratar",
            "Para contratar é preciso {doc} (ou {passport}, para estrangeiros) e um {proof} ou "
            "contrato de aluguel.",
            ("Você vai precisar do {doc} (estrangeiros podem usar o {passport}) e de um {proof} "
             "ou do contrato de aluguel.",
             "Só {doc} ou {passport} e um {proof}. Contrato de aluguel também serve."),
            ("que documentos preciso pra contratar?", "sou estrangeiro, posso contratar sem cpf?",
             "precisa de comprovante de residencia?"),
            ("Quais papéis tenho que apresentar para assinar o serviço?",),
        ),
        Text(
            "Documents to sign up",
            "To sign up you need a {doc} (or a {passport}, for foreigners) and a {proof} or a "
            "rental contract.",
            ("You need a {doc} or, for foreigners, your {passport}, plus a {proof} or a rental "
             "contract.",
             "Just your {passport} (or {doc} if you have one) and a {proof}; a rental agreement "
             "works too."),
            ("can I sign up with my passport?", "what documents do I need?",
             "I don't have a CPF, can I still get internet?", "do I need a CPF to sign up?"),
            ("What paperwork must I show to open an account with you?",),
        ),
        {"passport": "passport", "proof": "proof of address"},
    ),
    # ---------------------------------------------------------------- contract
    Fact(
        "loyalty", "contract",
        {"months": "12 meses", "fine": "R$ 12,50"},
        ("months", "fine"),
        Text(
            "Fidelidade e multa",
            "Os planos com instalação grátis têm fidelidade de {months}. Se o cliente cancelar "
            "antes, a multa é de {fine} por mês que faltar.",
            ("A fidelidade é de {months}. Se cancelar antes, a multa é proporcional: {fine} por "
             "mês restante.",
             "Nossos planos têm fidelidade de {months}, e a multa por cancelar antes é de {fine} "
             "para cada mês que faltar."),
            ("qual a fidelidade?", "se eu cancelar antes de um ano pago multa?",
             "tem multa de cancelamento?", "quanto é a multa se eu sair antes?"),
            ("Quanto tempo fico preso ao contrato e quanto pago se sair no meio?",),
        ),
        Text(
            "Loyalty period and fee",
            "Plans with free installation have a {months} loyalty period. Cancelling earlier "
            "costs {fine} for each remaining month.",
            ("The loyalty period is {months}. If you cancel earlier, the fee is proportional: "
             "{fine} per remaining month.",
             "Our plans have a {months} loyalty period, and leaving early costs {fine} for each "
             "month left."),
            ("is there a minimum contract?", "what's the early cancellation fee?",
             "how long is the loyalty period?"),
            ("How long am I locked in, and what does leaving early cost me?",),
        ),
        {"months": "12 months"},
    ),
    Fact(
        "refund", "contract",
        {"days": "7 dias", "refund_time": "10 dias úteis"},
        ("days", "refund_time"),
        Text(
            "Arrependimento e reembolso",
            "Quem cancelar em até {days} após a instalação recebe reembolso integral, incluindo "
            "a taxa de instalação, em até {refund_time} via Pix.",
            ("Se você cancelar em até {days} depois da instalação, devolvemos tudo, inclusive a "
             "taxa de instalação. O reembolso cai em até {refund_time} via Pix.",
             "Dentro de {days} da instalação o cancelamento tem reembolso integral, pago por Pix "
             "em até {refund_time}."),
            ("instalei ontem e nao gostei, posso cancelar e ter o dinheiro de volta?",
             "vcs fazem reembolso?", "se eu desistir logo depois de instalar recebo de volta?"),
            ("Me arrependi logo após a instalação; tenho direito a receber o valor pago?",),
        ),
        Text(
            "Change of mind and refunds",
            "Customers who cancel within {days} of installation get a full refund, installation "
            "fee included, within {refund_time} by Pix.",
            ("If you cancel within {days} of installation we refund everything, including the "
             "installation fee. The refund arrives within {refund_time} by Pix.",
             "Within {days} of installation a cancellation gets a full refund, paid by Pix "
             "within {refund_time}."),
            ("can I get a refund if I cancel right after installation?",
             "what's your refund policy?",
             "installed 3 days ago and the speed is not what I need, can I get my money back?"),
            ("I regret signing up right after the install; am I entitled to my money back?",),
        ),
        {"days": "7 days", "refund_time": "10 business days"},
    ),
    Fact(
        "cancel_how", "contract",
        {"menu": "Conta > Cancelar serviço", "protocol": "LUM-"},
        ("menu", "protocol"),
        Text(
            "Como cancelar",
            "O cancelamento pode ser pedido no app Minha Lumiar, em {menu}, ou pelo telefone. "
            "Todo pedido gera um protocolo que começa com {protocol}.",
            ("Você pode cancelar pelo app Minha Lumiar, no menu {menu}, ou ligando pra gente. No "
             "final você recebe um protocolo começando com {protocol}.",
             "É só abrir o app Minha Lumiar e ir em {menu}. O protocolo ({protocol} e o número) "
             "chega por e-mail."),
            ("como faço pra cancelar?", "quero cancelar minha internet",
             "onde cancelo o plano?", "dá pra cancelar pelo app?"),
            ("Qual é o passo a passo para encerrar minha assinatura?",),
        ),
        Text(
            "How to cancel",
            "Cancellation can be requested in the Minha Lumiar app, under {menu}, or by phone. "
            "Every request gets a protocol number starting with {protocol}.",
            ("You can cancel in the Minha Lumiar app, under {menu}, or by phone. You'll get a "
             "protocol number starting with {protocol}.",
             "Just open the Minha Lumiar app and go to {menu}. The protocol number ({protocol} "
             "plus digits) arrives by e-mail."),
            ("how do I cancel?", "I want to cancel my service", "can I cancel through the app?"),
            ("What are the steps to terminate my subscription?",),
        ),
        {"menu": "Account > Cancel service"},
    ),
    Fact(
        "router_return", "contract",
        {"days": "15 dias", "charge": "R$ 350,00"},
        ("days", "charge"),
        Text(
            "Devolução do roteador",
            "Após o cancelamento, o roteador deve ser devolvido em até {days} na loja ou "
            "retirado por um técnico. Se não for devolvido, são cobrados {charge}.",
            ("Depois de cancelar, você tem {days} pra devolver o roteador na loja ou agendar a "
             "retirada. Se não devolver, cobramos {charge} pelo equipamento.",
             "O roteador é comodato, então precisa voltar em até {days}. Sem devolução, vem uma "
             "cobrança de {charge}."),
            ("cancelei, o que faço com o roteador?", "preciso devolver o modem?",
             "e o aparelho, fica comigo?"),
            ("Depois que eu encerrar o contrato, o equipamento fica comigo ou tenho que "
             "entregar?",),
        ),
        Text(
            "Returning the router",
            "After cancelling, the router must be returned within {days} at the store or "
            "collected by a technician. If it is not returned, {charge} is charged.",
            ("After cancelling you have {days} to return the router at the store or book a "
             "pickup. If it isn't returned we charge {charge} for the equipment.",
             "The router is on loan, so it has to come back within {days}. Without the return "
             "there's a {charge} charge."),
            ("do I need to return the router?", "what happens with the modem when I leave?",
             "I'm leaving Brazil next week, what do I do with the router?"),
            ("Once my contract ends, do I keep the equipment or hand it back?",),
        ),
        {"days": "15 days"},
    ),
    Fact(
        "pause", "contract",
        {"max": "90 dias"},
        ("max",),
        Text(
            "Suspensão temporária",
            "O cliente pode suspender temporariamente o serviço por até {max} a cada 12 meses, "
            "sem custo, pelo app ou pelo telefone.",
            ("Dá sim! Você pode suspender o serviço por até {max} a cada 12 meses, sem custo. "
             "Durante a suspensão não tem mensalidade.",
             "Temos a suspensão temporária: até {max} por ano, sem cobrança nesse período."),
            ("vou viajar 2 meses, posso pausar a internet?",
             "tem como suspender o plano por um tempo?",
             "da pra congelar o contrato enquanto viajo?"),
            ("Vou passar uma temporada fora; consigo interromper a cobrança sem cancelar?",),
        ),
        Text(
            "Temporary pause",
            "Customers can pause the service for up to {max} every 12 months at no cost, in the "
            "app or by phone.",
            ("Yes! You can pause your service for up to {max} every 12 months at no cost. "
             "There's no monthly fee during the pause.",
             "We have a temporary pause: up to {max} a year, with no charge during that time."),
            ("can I pause my plan while I travel?", "I'll be away for 2 months, do I keep paying?",
             "is there a way to suspend the service temporarily?"),
            ("I'll be abroad for a while; can I stop the billing without cancelling?",),
        ),
        {"max": "90 days"},
    ),
    Fact(
        "moving", "contract",
        {"fee": "R$ 80,00", "time": "5 dias úteis"},
        ("fee", "time"),
        Text(
            "Mudança de endereço",
            "A mudança de endereço custa {fee} e a reinstalação no novo endereço é feita em até "
            "{time}, desde que haja cobertura.",
            ("A mudança de endereço custa {fee}, e a gente reinstala no endereço novo em até "
             "{time}.",
             "Transferimos sim! A taxa é {fee} e o prazo é de até {time} depois do pedido."),
            ("vou me mudar, consigo levar a internet?",
             "quanto custa pra transferir pra outro endereço?",
             "mudei de apartamento, como faço com a internet?"),
            ("Se eu trocar de casa, o que preciso pagar para levar o serviço junto?",),
        ),
        Text(
            "Moving address",
            "Moving the service costs {fee} and the reinstallation at the new address is done "
            "within {time}, as long as it is covered.",
            ("Moving your service costs {fee}, and we reinstall at the new address within "
             "{time}.",
             "Sure, we can move it! The fee is {fee} and it takes up to {time} after you ask."),
            ("I'm moving apartments, can I take my internet?",
             "how much to transfer to a new address?"),
            ("If I move house, what do I pay to bring the connection along?",),
        ),
        {"time": "5 business days"},
    ),
    Fact(
        "plan_change", "contract",
        {"upgrade_time": "2 horas", "downgrade": "6 meses"},
        ("upgrade_time", "downgrade"),
        Text(
            "Troca de plano",
            "O upgrade de plano é gratuito e fica ativo em até {upgrade_time}. O downgrade pode "
            "ser feito uma vez a cada {downgrade}.",
            ("O upgrade é grátis e fica ativo em até {upgrade_time}, sem visita técnica. Pra "
             "baixar de plano, pode uma vez a cada {downgrade}.",
             "Trocar para um plano maior não custa nada e libera em até {upgrade_time}. Já o "
             "downgrade é permitido uma vez a cada {downgrade}."),
            ("quero aumentar minha velocidade, como faço?", "posso mudar pro plano de 600?",
             "da pra baixar pro plano mais barato?"),
            ("Quanto tempo leva para minha velocidade subir se eu trocar para um plano "
             "superior?",),
        ),
        Text(
            "Changing plans",
            "Upgrades are free and active within {upgrade_time}. Downgrades can be made once "
            "every {downgrade}.",
            ("Upgrades are free and go live within {upgrade_time}, no technician needed. "
             "Downgrades are allowed once every {downgrade}.",
             "Moving to a bigger plan costs nothing and is active within {upgrade_time}. "
             "Downgrading is allowed once every {downgrade}."),
            ("how do I upgrade my plan?", "can I switch to a cheaper plan?",
             "want to go from 300 to 600, how long does it take?"),
        ),
        {"upgrade_time": "2 hours", "downgrade": "6 months"},
    ),
    # ---------------------------------------------------------------- contact
    Fact(
        "support_hours", "contact",
        {"week": "8h às 22h", "sun": "9h às 17h"},
        ("week", "sun"),
        Text(
            "Horário de atendimento",
            "O atendimento por telefone e WhatsApp funciona de segunda a sábado, das {week}, e "
            "aos domingos e feriados, das {sun}.",
            ("Nosso atendimento funciona de segunda a sábado, das {week}, e domingos e feriados "
             "das {sun}.",
             "Atendemos de segunda a sábado das {week}. Domingo e feriado, das {sun}."),
            ("que horas vcs atendem?", "o suporte funciona domingo?",
             "até que horas posso chamar vcs?", "vcs atendem de madrugada?"),
            ("Em quais horários consigo falar com o suporte?",),
        ),
        Text(
            "Support hours",
            "Phone and WhatsApp support works Monday to Saturday, {week}, and on Sundays and "
            "holidays, {sun}.",
            ("Our support line works Monday to Saturday, {week}, and Sundays and holidays, "
             "{sun}.",
             "We're available Monday to Saturday {week}. Sundays and holidays, {sun}."),
            ("what are your support hours?", "is support open on Sunday?",
             "until what time can I call?"),
            ("When is your helpdesk reachable?",),
        ),
        {"week": "8:00 to 22:00", "sun": "9:00 to 17:00"},
    ),
    Fact(
        "support_phone", "contact",
        {"phone": "(48) 3000-5821"},
        ("phone",),
        Text(
            "Telefone",
            "Central de atendimento por telefone: {phone}.",
            ("Nosso telefone é {phone}.",
             "Pode ligar no {phone}, quem atende é a nossa equipe aqui de Floripa."),
            ("qual o telefone de vcs?", "tem um numero pra ligar?",
             "me passa o telefone do suporte"),
            ("Para qual número eu ligo se precisar de ajuda?",),
        ),
        Text(
            "Phone",
            "Support phone line: {phone}.",
            ("Our phone number is {phone}.", "You can call us on {phone}."),
            ("what's your phone number?", "is there a number I can call?"),
        ),
    ),
    Fact(
        "whatsapp", "contact",
        {"wa": "(48) 99800-4410"},
        ("wa",),
        Text(
            "WhatsApp",
            "WhatsApp oficial da Lumiar Fibra: {wa}.",
            ("Nosso WhatsApp oficial é {wa}.",
             "O WhatsApp de atendimento é o {wa}, pode salvar aí."),
            ("esse é o whats oficial de vcs?", "qual o whatsapp da lumiar?",
             "tem outro numero de zap?"),
            ("Por qual número de WhatsApp a empresa atende?",),
        ),
        Text(
            "WhatsApp",
            "Lumiar Fibra's official WhatsApp: {wa}.",
            ("Our official WhatsApp is {wa}.", "You can reach us on WhatsApp at {wa}."),
            ("do you have WhatsApp?", "what's your whatsapp number?"),
            ("Which WhatsApp contact does the company answer on?",),
        ),
    ),
    Fact(
        "english_support", "contact",
        {"hours": "9h às 18h"},
        ("hours",),
        Text(
            "Atendimento em inglês",
            "Atendimento em inglês: de segunda a sexta, das {hours}, pelo WhatsApp e pelo canal "
            "de suporte no Slack.",
            ("Temos atendimento em inglês de segunda a sexta, das {hours}, pelo WhatsApp e pelo "
             "Slack.",
             "Sim, de segunda a sexta das {hours} tem atendente que fala inglês."),
            ("vcs atendem em ingles? meu marido é americano",
             "tem alguem que fala ingles ai?"),
            ("Há suporte em outro idioma além do português?",),
        ),
        Text(
            "Support in English",
            "English-speaking support: Monday to Friday, {hours}, on WhatsApp and in the Slack "
            "support channel.",
            ("We have English-speaking support Monday to Friday, {hours}, on WhatsApp and here "
             "on Slack.",
             "Yes, Monday to Friday, {hours}, there's always someone who speaks English."),
            ("do you have support in English?", "is there someone who speaks English?",
             "can I get help in English on weekends?"),
            ("When can I get assistance from someone who speaks English?",),
        ),
        {"hours": "9:00 to 18:00"},
    ),
    Fact(
        "email", "contact",
        {"email": "suporte@lumiarfibra.com.br", "reply": "1 dia útil"},
        ("email",),
        Text(
            "E-mail",
            "E-mail de suporte: {email}. As mensagens são respondidas em até {reply}.",
            ("Pode mandar para {email}, respondemos em até {reply}.",
             "Nosso e-mail é {email}."),
            ("qual o email de vcs?", "posso mandar os documentos por email?",
             "tem email pra reclamação?"),
            ("Para qual endereço eletrônico devo escrever?",),
        ),
        Text(
            "E-mail",
            "Support e-mail: {email}. Messages are answered within {reply}.",
            ("You can write to {email}, we answer within {reply}.", "Our e-mail is {email}."),
            ("what's your email?", "can I email you the documents?"),
        ),
        {"reply": "1 business day"},
    ),
    Fact(
        "store_address", "contact",
        {"address": "Rua Desembargador Quirino Lessa, 412", "district": "Centro"},
        ("address",),
        Text(
            "Loja",
            "Loja e atendimento presencial: {address}, {district}, Florianópolis.",
            ("Nossa loja fica na {address}, no {district}.",
             "A loja é na {address}, {district}, Florianópolis."),
            ("onde fica a loja de vcs?", "qual o endereço da loja?", "vcs tem loja fisica?"),
            ("Onde posso ir pessoalmente para ser atendido?",),
        ),
        Text(
            "Store",
            "Store and walk-in service: {address}, {district}, Florianópolis.",
            ("Our store is at {address}, {district}, Florianópolis.",
             "You'll find us at {address}, in {district}."),
            ("where is your store?", "do you have a physical shop?", "address of the office?"),
            ("Where can I go in person to get help?",),
        ),
    ),
    Fact(
        "store_hours", "contact",
        {"week": "9h às 18h", "sat": "9h às 13h"},
        ("week", "sat"),
        Text(
            "Horário da loja",
            "A loja abre de segunda a sexta, das {week}, e aos sábados, das {sat}. Fecha aos "
            "domingos.",
            ("A loja abre de segunda a sexta das {week} e sábado das {sat}. Domingo fica "
             "fechada.",
             "Segunda a sexta, das {week}; sábado, das {sat}."),
            ("a loja abre sabado?", "que horas a loja fecha?", "horario da loja?"),
            ("Qual o horário de funcionamento do ponto de atendimento presencial?",),
        ),
        Text(
            "Store hours",
            "The store opens Monday to Friday, {week}, and on Saturdays, {sat}. Closed on "
            "Sundays.",
            ("The store is open Monday to Friday, {week}, and Saturday, {sat}. Closed on "
             "Sundays.",
             "Monday to Friday {week}; Saturday {sat}."),
            ("what time does the store open?", "is the shop open on Saturday?"),
            ("What are the opening hours of your walk-in store?",),
        ),
        {"week": "9:00 to 18:00", "sat": "9:00 to 13:00"},
    ),
    Fact(
        "app", "contact",
        {"app": "Minha Lumiar"},
        ("app",),
        Text(
            "Aplicativo",
            "O app {app} está disponível para Android e iPhone e permite ver faturas, trocar a "
            "senha do Wi-Fi e abrir chamados.",
            ("É o app {app}, tem para Android e iPhone. Por ele você vê faturas, troca a senha "
             "do Wi-Fi e abre chamados.",
             "Baixa o {app} na loja do seu celular, tem pra Android e iPhone."),
            ("vcs tem aplicativo?", "qual o nome do app?", "tem app pra iphone?"),
            ("Existe algum programa de celular para gerenciar minha conta?",),
        ),
        Text(
            "The app",
            "The {app} app is available for Android and iPhone; it shows invoices, changes the "
            "Wi-Fi password and opens support tickets.",
            ("It's the {app} app, for Android and iPhone. You can see invoices, change the Wi-Fi "
             "password and open tickets there.",
             "Download {app} from your phone's app store, it's on Android and iPhone."),
            ("do you have an app?", "what's the name of your app?"),
        ),
    ),
    # ---------------------------------------------------------------- router and Wi-Fi
    Fact(
        "router_models", "router",
        {"w5": "Lumibox W5", "w6": "Lumibox W6"},
        ("w5", "w6"),
        Text(
            "Modelos de roteador",
            "Roteadores em comodato: {w5} (Wi-Fi 5) nos planos Lumiar 300 e Lumiar Nômade, e "
            "{w6} (Wi-Fi 6) nos planos Lumiar 600 e Lumiar Giga.",
            ("Nos planos 300 e Nômade vai o {w5}, que é Wi-Fi 5. No 600 e no Giga vai o {w6}, "
             "com Wi-Fi 6.",
             "Depende do plano: {w5} (Wi-Fi 5) no 300 e no Nômade, {w6} (Wi-Fi 6) no 600 e no "
             "Giga."),
            ("qual roteador vem com o plano?", "o roteador é wifi 6?",
             "que modelo de roteador vcs usam?"),
            ("Que aparelho de Wi-Fi vocês instalam em cada plano?",),
        ),
        Text(
            "Router models",
            "Routers on loan: {w5} (Wi-Fi 5) on Lumiar 300 and Lumiar Nômade, and {w6} "
            "(Wi-Fi 6) on Lumiar 600 and Lumiar Giga.",
            ("On the 300 and Nômade plans you get the {w5}, which is Wi-Fi 5. On 600 and Giga "
             "you get the {w6}, with Wi-Fi 6.",
             "It depends on the plan: {w5} (Wi-Fi 5) on 300 and Nômade, {w6} (Wi-Fi 6) on 600 "
             "and Giga."),
            ("which router do I get?", "is the router wifi 6?", "what router model do you use?"),
        ),
    ),
    Fact(
        "router_reset", "router",
        {"button": "RESET", "secs": "10 segundos", "wait": "3 minutos"},
        ("button", "secs", "wait"),
        Text(
            "Restaurar o roteador de fábrica",
            "Para restaurar o Lumibox de fábrica, segure o botão {button} na parte de trás por "
            "{secs} até o LED piscar laranja e aguarde {wait}. O nome e a senha do Wi-Fi voltam "
            "aos da etiqueta.",
            ("Segura o botão {button} atrás do roteador por {secs}, até a luz piscar laranja. "
             "Depois espera uns {wait} pra ele voltar.",
             "É só apertar e segurar o {button} (fica na parte de trás) por {secs}. Quando o LED "
             "piscar laranja pode soltar e aguardar {wait}."),
            ("como reseta o roteador?", "esqueci a senha do roteador, como volto pro padrao?",
             "como faço reset de fabrica no lumibox?"),
            ("Qual o procedimento para restaurar as configurações originais do meu roteador?",),
        ),
        Text(
            "Factory reset",
            "To factory reset a Lumibox, hold the {button} button on the back for {secs} until "
            "the LED blinks orange, then wait {wait}. The Wi-Fi name and password go back to the "
            "ones on the sticker.",
            ("Hold the {button} button on the back of the router for {secs} until the light "
             "blinks orange. Then wait about {wait} for it to come back.",
             "Press and hold {button} (on the back) for {secs}. When the LED blinks orange let go "
             "and give it {wait}."),
            ("how do I reset the router?", "how to factory reset the Lumibox?",
             "forgot my router password, how do I reset it?"),
            ("How can I restore my router to its factory settings?",),
        ),
        {"secs": "10 seconds", "wait": "3 minutes"},
    ),
    Fact(
        "router_reboot", "router",
        {"secs": "30 segundos"},
        ("secs",),
        Text(
            "Reiniciar o roteador",
            "Antes de abrir chamado, reinicie o roteador: tire da tomada, espere {secs} e ligue "
            "de novo.",
            ("Primeiro tenta reiniciar: tira o roteador da tomada, espera {secs} e liga de novo.",
             "Desliga o roteador da tomada por {secs} e liga novamente, isso resolve a maioria "
             "dos casos."),
            ("a internet ta lenta, o que eu faço?", "caiu a net aqui", "a internet parou do nada",
             "ta sem internet desde cedo"),
            ("Minha conexão travou; qual o primeiro passo que vocês recomendam?",),
        ),
        Text(
            "Restarting the router",
            "Before opening a ticket, restart the router: unplug it, wait {secs} and plug it "
            "back in.",
            ("First try restarting it: unplug the router, wait {secs} and plug it back in.",
             "Unplug the router for {secs} and turn it on again, that fixes most cases."),
            ("internet is super slow, what should I do?", "my internet just dropped",
             "no internet since this morning"),
        ),
        {"secs": "30 seconds"},
    ),
    Fact(
        "wifi_name", "router",
        {"prefix": "LUMIAR-", "suffix": "-5G"},
        ("prefix", "suffix"),
        Text(
            "Nome da rede Wi-Fi",
            "A rede Wi-Fi padrão se chama {prefix} seguido dos 4 últimos dígitos do contrato; a "
            "rede de 5 GHz tem o final {suffix}.",
            ("A rede vem com o nome {prefix} mais os 4 últimos números do seu contrato. A de "
             "5 GHz é a mesma com {suffix} no final.",
             "Procura a rede {prefix}XXXX, onde XXXX são os 4 últimos dígitos do contrato. A que "
             "termina em {suffix} é a de 5 GHz, mais rápida."),
            ("qual é o nome da minha rede wifi?", "nao acho minha rede no celular",
             "aparecem duas redes, qual é a minha?"),
            ("Como identifico qual é a minha rede sem fio na lista do celular?",),
        ),
        Text(
            "Wi-Fi network name",
            "The default Wi-Fi network is called {prefix} followed by the last 4 digits of the "
            "contract; the 5 GHz network ends in {suffix}.",
            ("Your network is named {prefix} plus the last 4 digits of your contract. The 5 GHz "
             "one is the same with {suffix} at the end.",
             "Look for {prefix}XXXX, where XXXX are the last 4 digits of your contract. The one "
             "ending in {suffix} is the faster 5 GHz network."),
            ("what's my wifi network called?", "can't find my network on my phone",
             "I see two networks, which one is mine?"),
        ),
    ),
    Fact(
        "wifi_password", "router",
        {"sticker": "etiqueta", "menu": "Wi-Fi > Alterar senha"},
        ("sticker", "menu"),
        Text(
            "Senha do Wi-Fi",
            "A senha padrão do Wi-Fi está na {sticker} embaixo do roteador. Para trocar, use o "
            "app Minha Lumiar em {menu}.",
            ("A senha padrão está na {sticker} embaixo do roteador. Pra trocar, abre o app Minha "
             "Lumiar e vai em {menu}.",
             "Olha na {sticker} embaixo do roteador. Se quiser uma senha nova, é no app Minha "
             "Lumiar, em {menu}."),
            ("como troco a senha do wifi?", "qual a senha do wifi?",
             "quero mudar a senha da internet"),
            ("Onde encontro e como altero a chave da minha rede sem fio?",),
        ),
        Text(
            "Wi-Fi password",
            "The default Wi-Fi password is on the {sticker} under the router. To change it, use "
            "the Minha Lumiar app under {menu}.",
            ("The default password is on the {sticker} under the router. To change it, open the "
             "Minha Lumiar app and go to {menu}.",
             "Check the {sticker} under the router. For a new password use the Minha Lumiar "
             "app, {menu}."),
            ("how do I change the wifi password?", "what's the wifi password?",
             "want to set my own wifi password"),
            ("Where do I find my wireless key, and how do I change it?",),
        ),
        {"sticker": "sticker", "menu": "Wi-Fi > Change password"},
    ),
    Fact(
        "admin_page", "router",
        {"ip": "192.168.18.1", "user": "admin"},
        ("ip", "user"),
        Text(
            "Página de configuração",
            "A página de configuração do roteador fica em {ip}; o usuário é {user} e a senha "
            "está na etiqueta.",
            ("Acessa {ip} no navegador, com o usuário {user} e a senha da etiqueta do roteador.",
             "Digita {ip} no navegador. Usuário: {user}. A senha é a da etiqueta."),
            ("como entro nas configurações do roteador?", "qual o ip do roteador?",
             "preciso abrir uma porta no roteador, como acesso?"),
            ("Qual endereço eu digito no navegador para mexer nas opções avançadas do modem?",),
        ),
        Text(
            "Router settings page",
            "The router settings page is at {ip}; the user is {user} and the password is on the "
            "sticker.",
            ("Open {ip} in your browser, user {user}, and the password from the router "
             "sticker.",
             "Type {ip} in the browser. User: {user}. The password is the one on the sticker."),
            ("how do I access the router settings?", "what's the router IP?",
             "need to open a port for my game server, how do I log into the router?"),
            ("What address do I type in the browser to reach the router's admin panel?",),
        ),
    ),
    Fact(
        "los_light", "router",
        {"light": "LOS"},
        ("light",),
        Text(
            "Luz LOS vermelha",
            "Se a luz {light} do roteador estiver vermelha, o sinal da fibra foi interrompido. "
            "Reiniciar não resolve: é preciso abrir chamado para visita técnica.",
            ("Se a luz {light} está vermelha, o sinal da fibra caiu antes de chegar no roteador. "
             "Reiniciar não resolve, vou abrir um chamado pra visita técnica.",
             "Luz {light} vermelha quer dizer que a fibra está sem sinal. Nesse caso precisa de "
             "técnico, já vou agendar."),
            ("tem uma luz vermelha piscando no roteador", "a luz LOS ta vermelha, o q significa?",
             "o modem ta com luz vermelha acesa"),
            ("O que quer dizer quando o indicador de perda de sinal do roteador acende em "
             "vermelho?",),
        ),
        Text(
            "Red LOS light",
            "If the router's {light} light is red, the fiber signal is interrupted. Restarting "
            "will not help: a technician visit is needed.",
            ("If the {light} light is red, the fiber signal is lost before it reaches the "
             "router. Restarting won't fix it, I'll open a ticket for a technician visit.",
             "A red {light} light means the fiber has no signal. That needs a technician, I'm "
             "booking one now."),
            ("there's a red light blinking on the router", "the LOS light is red, what does it "
             "mean?", "router shows a red light"),
            ("What does it mean when the loss-of-signal indicator on the router turns red?",),
        ),
    ),
    # ---------------------------------------------------------------- technical
    Fact(
        "speed_test", "technical",
        {"url": "velocidade.lumiarfibra.com.br"},
        ("url",),
        Text(
            "Teste de velocidade",
            "Para medir a velocidade, use {url} com o computador ligado no roteador por cabo. "
            "No Wi-Fi a velocidade medida costuma ser menor.",
            ("Faz o teste em {url}, de preferência com o computador no cabo. Pelo Wi-Fi sempre "
             "vai dar menos.",
             "O teste oficial é o {url}. Testa com cabo de rede, porque no Wi-Fi a medição cai "
             "bastante."),
            ("como testo minha velocidade?", "fiz o teste e deu so 80 mega",
             "onde faço speedtest de vcs?"),
            ("Qual site oficial devo usar para medir se estou recebendo a velocidade "
             "contratada?",),
        ),
        Text(
            "Speed test",
            "To measure your speed, use {url} with a computer connected to the router by cable. "
            "Over Wi-Fi the measured speed is usually lower.",
            ("Run the test at {url}, ideally with your computer on a cable. Over Wi-Fi it will "
             "always show less.",
             "The official test is {url}. Test with a network cable, Wi-Fi measurements drop a "
             "lot."),
            ("how do I test my speed?", "ran a speed test and only got 80 mbps",
             "which speed test should I use?"),
            ("Which official site should I use to check I'm getting the speed I pay for?",),
        ),
    ),
    Fact(
        "status_page", "technical",
        {"url": "status.lumiarfibra.com.br"},
        ("url",),
        Text(
            "Status da rede",
            "Quedas e manutenções programadas são publicadas em {url}.",
            ("Você pode acompanhar quedas e manutenções em {url}.",
             "Toda manutenção ou queda aparece em {url}, vale dar uma olhada lá."),
            ("ta tendo problema na regiao?", "tem alguma manutenção hoje?",
             "a internet caiu no bairro todo?"),
            ("Onde vejo se há uma falha geral na rede agora?",),
        ),
        Text(
            "Network status",
            "Outages and planned maintenance are published at {url}.",
            ("You can follow outages and maintenance at {url}.",
             "Every outage or maintenance shows up at {url}, worth a look."),
            ("is there an outage in my area?", "any maintenance today?",
             "is the whole neighbourhood down?"),
        ),
    ),
    Fact(
        "outage_comp", "technical",
        {"min": "24 horas", "fraction": "1/30", "deadline": "30 dias"},
        ("min", "fraction"),
        Text(
            "Desconto por queda",
            "Quando a conexão fica fora do ar por mais de {min} seguidas por falha da Lumiar, o "
            "cliente recebe desconto de {fraction} da mensalidade por dia sem serviço, se pedir "
            "em até {deadline}.",
            ("Se a internet ficou fora mais de {min} por falha nossa, você tem desconto de "
             "{fraction} da mensalidade por dia parado. É só pedir em até {deadline}.",
             "Quedas acima de {min} dão direito a abatimento de {fraction} da mensalidade por dia "
             "sem serviço, na próxima fatura. O pedido tem que ser feito em até {deadline}."),
            ("fiquei 2 dias sem internet, vou pagar a mensalidade inteira?",
             "tem desconto pela queda?", "vcs vao descontar os dias sem net?"),
            ("Recebo algum abatimento na conta se o serviço ficar parado por vários dias?",),
        ),
        Text(
            "Outage credit",
            "When the connection is down for more than {min} in a row because of a Lumiar "
            "fault, the customer gets {fraction} of the monthly fee off per day without service, "
            "if requested within {deadline}.",
            ("If your internet was down for more than {min} because of us, you get {fraction} of "
             "the monthly fee off for each day down. Just ask within {deadline}.",
             "Outages over {min} give you a credit of {fraction} of the monthly fee per day "
             "without service, on the next invoice. Ask for it within {deadline}."),
            ("I had no internet for 2 days, do I still pay the full month?",
             "do I get a discount for the outage?", "will you credit the days without internet?"),
            ("Do I get money off my bill if the service is down for several days?",),
        ),
        {"min": "24 hours", "deadline": "30 days"},
    ),
    # ---------------------------------------------------------------- billing
    Fact(
        "due_dates", "billing",
        {"days": "5, 10, 15 ou 20"},
        ("days",),
        Text(
            "Dia de vencimento",
            "O vencimento da fatura pode ser no dia {days} de cada mês.",
            ("Você pode escolher o vencimento no dia {days}. Pra trocar é só pedir aqui.",
             "As datas de vencimento disponíveis são dia {days}."),
            ("posso mudar o dia do vencimento?", "quais datas de vencimento tem?",
             "meu salario cai dia 10, da pra vencer depois?"),
            ("Quais dias do mês posso escolher para a conta vencer?",),
        ),
        Text(
            "Due date",
            "The invoice can fall due on the {days} of each month.",
            ("You can pick a due date on the {days} of the month. Just ask us to change it.",
             "The available due dates are the {days}."),
            ("can I change my due date?", "which due dates can I choose?"),
        ),
        {"days": "5th, 10th, 15th or 20th"},
    ),
    Fact(
        "payment_methods", "billing",
        {"pix": "Pix", "boleto": "boleto", "card": "cartão de crédito"},
        ("pix", "boleto", "card"),
        Text(
            "Formas de pagamento",
            "Formas de pagamento aceitas: {pix}, {boleto} e {card}.",
            ("Aceitamos {pix}, {boleto} e {card}.",
             "Pode pagar por {pix}, {boleto} ou {card}, como preferir."),
            ("quais as formas de pagamento?", "posso pagar com pix?", "aceita cartao?"),
            ("De que maneiras consigo quitar minha mensalidade?",),
        ),
        Text(
            "Payment methods",
            "Accepted payment methods: {pix}, {boleto} and {card}.",
            ("We accept {pix}, {boleto} and {card}.",
             "You can pay by {pix}, {boleto} or {card}, whatever suits you."),
            ("how can I pay?", "do you accept credit card?", "what payment methods do you take?"),
            ("In what ways can I settle my monthly bill?",),
        ),
        {"card": "credit card"},
    ),
    Fact(
        "autopay_discount", "billing",
        {"discount": "R$ 5,00"},
        ("discount",),
        Text(
            "Desconto no pagamento recorrente",
            "Quem cadastra o pagamento recorrente no cartão de crédito ganha {discount} de "
            "desconto por mês.",
            ("Se você cadastrar o cartão de crédito no pagamento recorrente, ganha {discount} de "
             "desconto todo mês.",
             "No pagamento recorrente no cartão a mensalidade fica {discount} mais barata."),
            ("tem desconto pra pagar no cartão?", "debito automatico tem desconto?",
             "como ganho desconto na fatura?"),
            ("Existe alguma vantagem em deixar a mensalidade cobrada automaticamente no "
             "cartão?",),
        ),
        Text(
            "Automatic payment discount",
            "Customers who set up recurring credit card payment get {discount} off every "
            "month.",
            ("If you set up recurring payment on your credit card, you get {discount} off every "
             "month.",
             "With automatic card payment your monthly fee is {discount} cheaper."),
            ("any discount for paying by card?", "is there a discount for autopay?"),
        ),
    ),
    Fact(
        "late_fee", "billing",
        {"fine": "2%", "interest": "1% ao mês", "reduce": "15 dias", "suspend": "30 dias"},
        ("fine", "reduce", "suspend"),
        Text(
            "Atraso no pagamento",
            "Faturas pagas com atraso têm multa de {fine} e juros de {interest}. Com {reduce} "
            "de atraso a velocidade é reduzida e com {suspend} o serviço é suspenso.",
            ("Com atraso tem multa de {fine} mais juros de {interest}. Com {reduce} de atraso a "
             "velocidade é reduzida, e com {suspend} o serviço fica suspenso.",
             "Não corta na hora! A multa é {fine} e os juros {interest}. A velocidade só reduz "
             "com {reduce} de atraso, e a suspensão vem com {suspend}."),
            ("esqueci de pagar a fatura, cortam a internet?", "paguei atrasado, tem multa?",
             "atrasei a conta, o que acontece?"),
            ("Quais são as consequências de pagar a mensalidade depois do vencimento?",),
        ),
        Text(
            "Late payment",
            "Late invoices carry a {fine} fine and interest of {interest}. After {reduce} "
            "overdue the speed is reduced, and after {suspend} the service is suspended.",
            ("Late payment has a {fine} fine plus {interest} interest. After {reduce} overdue "
             "the speed is reduced, and after {suspend} the service is suspended.",
             "We don't cut you off right away! The fine is {fine} and interest {interest}. Speed "
             "is only reduced after {reduce}, and suspension comes after {suspend}."),
            ("forgot to pay my bill, will you cut the internet?", "I paid late, is there a fee?"),
            ("What happens if I pay my bill after the due date?",),
        ),
        {"interest": "1% per month", "reduce": "15 days", "suspend": "30 days"},
    ),
    Fact(
        "second_copy", "billing",
        {"menu": "Financeiro > Segunda via"},
        ("menu",),
        Text(
            "Segunda via da fatura",
            "A segunda via da fatura fica no app Minha Lumiar, em {menu}. Também enviamos pelo "
            "WhatsApp depois de confirmar o CPF do titular.",
            ("A segunda via está no app Minha Lumiar, em {menu}. Se preferir, te mando por aqui "
             "com o código Pix.",
             "Pelo app Minha Lumiar é rapidinho: {menu}. Mas já te envio aqui também."),
            ("preciso da segunda via do boleto", "não recebi a fatura desse mês",
             "onde pego o boleto?"),
            ("Perdi o boleto deste mês; como consigo outra cópia?",),
        ),
        Text(
            "Invoice copy",
            "A copy of any invoice is in the Minha Lumiar app, under {menu}. We also send it on "
            "WhatsApp once the account holder's CPF or passport is confirmed.",
            ("You can get a copy in the Minha Lumiar app, under {menu}. If you prefer, I can "
             "send it here with the Pix code.",
             "In the Minha Lumiar app it's quick: {menu}. I'll send it here too."),
            ("I need a copy of my bill", "didn't get this month's invoice",
             "where do I find my boleto?"),
            ("I lost this month's bill; how do I get another copy?",),
        ),
        {"menu": "Billing > Invoice copy"},
    ),
)

FACT_BY_ID: dict[str, Fact] = {f.id: f for f in FACTS}
# Intents whose answer needs the customer's account: the agent asks for a CPF or contract first.
ACCOUNT_INTENTS = frozenset({
    "second_copy", "outage_comp", "moving", "cancel_how", "router_return", "pause",
    "plan_change", "los_light", "late_fee", "due_dates", "wifi_name", "static_ip",
})


# --------------------------------------------------------------------------------------------
# Fake people and their personal data (all invented; planted on purpose for PII scrubbing)
# --------------------------------------------------------------------------------------------

PT_FEMALE = (
    "Mariana", "Juliana", "Fernanda", "Camila", "Patrícia", "Aline", "Beatriz", "Larissa",
    "Tatiane", "Renata", "Gabriela", "Letícia", "Cristiane", "Vanessa", "Débora", "Simone",
    "Luana", "Priscila", "Helena", "Rosângela", "Marcia", "Jéssica", "Bruna", "Natália",
)
PT_MALE = (
    "João", "Rafael", "Lucas", "Gustavo", "Marcelo", "Thiago", "Felipe", "André", "Rodrigo",
    "Eduardo", "Leandro", "Vinícius", "Diego", "Fábio", "Alexandre", "Márcio", "Otávio",
    "Sérgio", "Renan", "Caio", "Wagner", "Mateus", "Jonas", "Everton",
)
PT_SURNAMES = (
    "Souza", "Oliveira", "Pereira", "Machado", "Schmitt", "Vieira", "da Silva", "Cardoso",
    "Rocha", "Martins", "Ramos", "Medeiros", "Bittencourt", "Koerich", "Fagundes", "Silveira",
    "Andrade", "Cunha", "Farias", "Nunes", "Teixeira", "Becker", "Amorim", "Laus",
)
EN_FEMALE = (
    "Emily", "Sarah", "Hannah", "Olivia", "Chloé", "Sanne", "Laura", "Megan", "Anna", "Grace",
    "Isabel", "Kate", "Lea", "Rachel", "Zoe", "Ingrid",
)
EN_MALE = (
    "James", "Daniel", "Tom", "Lukas", "Mark", "Pieter", "Ryan", "Ben", "Oliver", "Sam",
    "Nick", "Jonas", "Connor", "Matt", "Henrik", "Alex",
)
EN_SURNAMES = (
    "Walker", "Becker", "de Vries", "Martin", "O'Brien", "Thompson", "Jensen", "Clarke",
    "Hughes", "Fischer", "Bennett", "Lindqvist", "Murphy", "Novak", "Foster", "Reyes",
)
STREETS = (
    "Rua das Bromélias", "Servidão Maré Alta", "Rua Coral Azul", "Travessa do Farol",
    "Rua Pedra Branca", "Rua das Tainhas", "Servidão Vento Sul", "Rua Jardim das Ostras",
    "Rua Canto da Gaivota", "Servidão Rendeiras do Sul",
)
DISTRICTS = (
    "Trindade", "Lagoa da Conceição", "Campeche", "Ingleses", "Itacorubi", "Córrego Grande",
    "Santo Antônio de Lisboa", "Coqueiros", "Estreito", "Rio Tavares", "Barra da Lagoa",
    "Pantanal", "Saco dos Limões", "Kobrasol",
)
DDDS = ("48", "48", "48", "48", "47", "11", "51", "21")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved, never a real inbox


@dataclass
class Person:
    first: str
    last: str
    female: bool
    lang: str
    cpf: str  # 11 digits
    phone: str  # a Brazilian mobile, digits only with DDD
    contract: str
    email: str
    address: str
    card: str  # 16 digits, Luhn-valid, test-card range
    passport: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def cpf_check_digits(nine: str) -> str:
    """The two CPF check digits (mod 11) for nine base digits."""
    digits = [int(c) for c in nine]
    for weight_start in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=True))
        rest = total % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(str(d) for d in digits[9:])


def cpf_is_valid(cpf: str) -> bool:
    digits = re.sub(r"\D", "", cpf)
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    return cpf_check_digits(digits[:9]) == digits[9:]


def luhn_check_digit(partial: str) -> str:
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:  # these positions double once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_is_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return len(digits) >= 12 and luhn_check_digit(digits[:-1]) == digits[-1]


def make_cpf(rng: random.Random) -> str:
    while True:
        nine = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(nine)) > 1:
            return nine + cpf_check_digits(nine)


def fmt_cpf(cpf: str, rng: random.Random) -> str:
    """CPFs as people type them: with punctuation, bare, or half-punctuated."""
    r = rng.random()
    if r < 0.6:
        return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    if r < 0.85:
        return cpf
    return f"{cpf[:9]}-{cpf[9:]}"


def fmt_phone(phone: str, rng: random.Random) -> str:
    """A Brazilian mobile in one of the many ways people write it."""
    ddd, n = phone[:2], phone[2:]
    forms = (
        f"({ddd}) {n[:5]}-{n[5:]}",
        f"{ddd} {n[:5]}-{n[5:]}",
        f"{ddd}{n}",
        f"+55 {ddd} {n[:5]}-{n[5:]}",
        f"+55 ({ddd}) {n[0]} {n[1:5]}-{n[5:]}",
        f"0{ddd} {n[:5]} {n[5:]}",
    )
    return rng.choice(forms)


def wa_phone_name(phone: str) -> str:
    """How Android WhatsApp shows a number that is not in the contacts."""
    return f"+55 {phone[:2]} {phone[2:7]}-{phone[7:]}"


def fmt_card(card: str, rng: random.Random) -> str:
    if rng.random() < 0.7:
        return " ".join(card[i : i + 4] for i in range(0, 16, 4))
    return card


def ascii_fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )


def make_person(rng: random.Random, lang: str, serial: int) -> Person:
    female = rng.random() < 0.5
    if lang == "pt":
        first = rng.choice(PT_FEMALE if female else PT_MALE)
        last = rng.choice(PT_SURNAMES)
    else:
        first = rng.choice(EN_FEMALE if female else EN_MALE)
        last = rng.choice(EN_SURNAMES)
    phone = rng.choice(DDDS) + "9" + str(rng.randrange(8100, 9999)) + f"{rng.randrange(10000):04d}"
    handle = ascii_fold(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
    email = rng.choice((
        f"{handle}{rng.randrange(70, 99)}@{rng.choice(EMAIL_DOMAINS)}",
        f"{handle.replace('.', '')}@{rng.choice(EMAIL_DOMAINS)}",
        f"{handle[0]}{handle.split('.')[-1]}{rng.randrange(1, 9)}@{rng.choice(EMAIL_DOMAINS)}",
    ))
    street = rng.choice(STREETS)
    flat = f", apto {rng.randrange(1, 4)}0{rng.randrange(1, 5)}" if rng.random() < 0.5 else ""
    cep = f"88{rng.randrange(0, 140):03d}-{rng.randrange(1000):03d}"
    address = f"{street}, {rng.randrange(12, 1900)}{flat} - {rng.choice(DISTRICTS)}, CEP {cep}"
    # 400000 is a payment-processor test range: Luhn-valid but no real card behind it.
    body = "400000" + "".join(str(rng.randrange(10)) for _ in range(9))
    passport = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    passport += f"{rng.randrange(10**6, 10**7)}"
    return Person(
        first=first, last=last, female=female, lang=lang, cpf=make_cpf(rng), phone=phone,
        contract=f"LF-{100000 + serial * 37 + rng.randrange(30):06d}", email=email,
        address=address, card=body + luhn_check_digit(body), passport=passport,
    )


# --------------------------------------------------------------------------------------------
# Customer-side noise: how people really type
# --------------------------------------------------------------------------------------------

PT_SLANG = (
    (r"\bvocês\b", "vcs"), (r"\bvocê\b", "vc"), (r"\bporque\b", "pq"), (r"\btambém\b", "tb"),
    (r"\bpara\b", "pra"), (r"\bque\b", "q"), (r"\bestá\b", "tá"), (r"\bnão\b", "nao"),
    (r"\binternet\b", "net"), (r"\bobrigad[oa]\b", "obg"), (r"\bbeleza\b", "blz"),
)
EN_SLANG = (
    (r"\byou\b", "u"), (r"\bplease\b", "pls"), (r"\bthanks\b", "thx"), (r"\bdon't\b", "dont"),
    (r"\bI'm\b", "im"), (r"\bwhat's\b", "whats"), (r"\bcan't\b", "cant"), (r"\bare\b", "r"),
)


def typo(word: str, rng: random.Random) -> str:
    """One slip of the thumb: swapped, dropped or doubled letter."""
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def roughen(text: str, lang: str, rng: random.Random) -> str:
    """Customer text as typed on a phone: lowercase, no accents, slang, a typo, odd punctuation.

    A quarter of messages stay clean, so the data also holds well-written questions.
    """
    if rng.random() < 0.25:
        return text
    if rng.random() < 0.6:
        text = text[:1].lower() + text[1:]
    if lang == "pt" and rng.random() < 0.5:
        text = ascii_fold(text)
    for pattern, repl in PT_SLANG if lang == "pt" else EN_SLANG:
        if rng.random() < 0.45:
            text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    if rng.random() < 0.35:
        words = text.split(" ")
        k = rng.randrange(len(words))
        words[k] = typo(words[k], rng)
        text = " ".join(words)
    if text.endswith("?") and rng.random() < 0.3:
        text = text[:-1] if rng.random() < 0.5 else text + "??"
    return text


# --------------------------------------------------------------------------------------------
# Conversations, independent of any export format
# --------------------------------------------------------------------------------------------


@dataclass
class Msg:
    who: str  # "customer", "agent" or "agent2" (a colleague the agent escalates to)
    text: str
    at: datetime
    kind: str = "text"  # text | media | deleted
    edited: bool = False
    pii: list[tuple[str, str]] = field(default_factory=list)  # (kind, literal) planted here


@dataclass
class Chat:
    lang: str
    person: Person
    agent: int  # index into the agent list of the chat's format
    msgs: list[Msg]
    intents: list[str]
    shape: str
    noise: list[str]  # what was planted on purpose, for the README counts
    saved_contact: bool = True  # WhatsApp: the agent's phone knows the customer's name


@dataclass(frozen=True)
class Bank:
    """The phrases around the facts, per language. {first} is the customer's first name."""

    greet: tuple[str, ...]
    intro: tuple[str, ...]
    ping: tuple[str, ...]
    connect: tuple[str, ...]
    thanks_m: tuple[str, ...]
    thanks_f: tuple[str, ...]
    hello: tuple[str, ...]  # the agent, knowing the name
    hello_anon: tuple[str, ...]
    more: tuple[str, ...]
    close: tuple[str, ...]
    ask_id: tuple[str, ...]
    give_cpf: tuple[str, ...]
    give_contract: tuple[str, ...]
    give_passport: tuple[str, ...]
    found: tuple[str, ...]
    extra_email: tuple[str, ...]
    extra_phone: tuple[str, ...]
    extra_address: tuple[str, ...]
    escalate: tuple[str, ...]
    pending: tuple[str, ...]
    back: tuple[str, ...]
    poor: tuple[str, ...]
    meh: tuple[str, ...]
    offtopic: tuple[tuple[str, str], ...]
    media_lead: tuple[str, ...]
    media_after: tuple[str, ...]
    card: tuple[str, ...]
    card_warn: tuple[str, ...]
    card_sorry: tuple[str, ...]
    retype: tuple[str, ...]


PT = Bank(
    greet=("oi", "oi, boa tarde", "Bom dia!", "boa noite", "Olá, tudo bem?", "oii", "opa",
           "Oi, tudo bom?", "bom dia, tudo certo?", "Boa tarde!!", "olá", "oi gente"),
    intro=("meu nome é {full}, sou cliente de vcs", "aqui é {first}", "sou cliente há 2 anos",
           "to pensando em contratar", "{full} aqui, do contrato no nome do meu pai",
           "queria tirar uma dúvida"),
    ping=("??", "alguém?", "oi?", "tem alguém aí?"),
    connect=("e outra coisa,", "ah, e", "aproveitando,", "mais uma dúvida:", "outra pergunta:"),
    thanks_m=("obrigado!!", "valeu!", "vlw", "show, brigado", "perfeito, obrigado",
              "ok obrigado", "beleza, valeu 👍"),
    thanks_f=("obrigada!!", "valeu!", "brigada 😊", "perfeito, obrigada", "ok obrigada",
              "muito obrigada pela ajuda 🙏", "ahh que bom, obg"),
    hello=("Oi, {first}! Tudo bem? Aqui é {agent}.", "Olá, {first}! {period}.",
           "{period}, {first}! Claro, te ajudo sim.", "Oi, {first}! 😊", "Oi {first}, tudo bem?"),
    hello_anon=("Olá! {period}. Aqui é {agent}.", "Oi! Tudo bem? Te ajudo sim.",
                "{period}! Claro.", "Olá! 😊"),
    more=("Posso ajudar em algo mais?", "Ficou alguma dúvida?", "Mais alguma coisa?"),
    close=("Por nada! Qualquer coisa é só chamar 😊", "Disponha, {first}! Tenha um ótimo dia.",
           "Imagina! Estamos à disposição.", "Eu que agradeço! {period}.",
           "De nada! Conte sempre com a gente."),
    ask_id=("Pode me passar o CPF do titular, por favor?",
            "Me confirma o CPF ou o número do contrato?",
            "Pra eu localizar aqui, qual o CPF do titular?"),
    give_cpf=("{cpf}", "cpf {cpf}", "é {cpf}", "o cpf é {cpf}", "{cpf}\n{full}"),
    give_contract=("o contrato é {contract}", "{contract}",
                   "contrato {contract} no nome de {full}"),
    give_passport=("{passport}",),
    found=("Certo, {first}! Localizei seu cadastro.", "Achei aqui, {first}!",
           "Pronto, localizei.", "Perfeito, encontrei seu contrato."),
    extra_email=("se precisar manda no meu email {email}", "meu email é {email}",
                 "pode mandar no {email}?"),
    extra_phone=("se cair me liga no {phone}", "meu outro número é {phone}",
                 "qualquer coisa liga {phone}"),
    extra_address=("o endereço é {address}", "é na {address}", "endereço: {address}"),
    escalate=("Vou verificar com a equipe técnica e te retorno, ok?",
              "Deixa eu confirmar essa informação e já te retorno.", "vou verificar e retorno"),
    pending=("Ainda estou verificando, retorno assim que tiver novidade.",
             "Já encaminhei pro setor responsável, logo te dão um retorno."),
    back=("Oi, {first}! Voltando sobre sua dúvida: ", "Desculpa a demora! ",
          "Retornando: "),
    poor=("Acho que sim, mas confirma no app.", "Não sei te informar agora.",
          "Isso depende, melhor ligar na central.", "Hmm, vou ficar te devendo essa."),
    meh=("ah ok", "hm, ta bom", "ok...", "ué, ninguém sabe?"),
    offtopic=(
        ("e o avaí hein, sobe esse ano?",
         "Haha, tomara! Aqui no suporte a torcida é dividida entre Avaí e Figueirense 😅"),
        ("que chuvarada hoje, né", "Nem fala! Vento sul forte, cuidado na rua."),
        ("vcs viram o jogo do figueira ontem??", "Vi sim, sofrido! Mas vamos ao que interessa 😄"),
        ("tá um calorão aqui no campeche", "Aqui no Centro também, dia de praia!"),
        ("a ponte tá parada de novo kkk", "Kkkk clássico de fim de tarde!"),
        ("será que a tainha chega esse ano?", "Dizem que o cardume tá chegando, tomara!"),
    ),
    media_lead=("vou mandar foto", "olha isso", "segue o print", "vou mandar um print"),
    media_after=("deu pra ver?", "é isso aí", "conseguiu abrir?"),
    card=("posso passar o cartão por aqui? {card} validade 08/27",
          "meu cartão é {card}, pode cadastrar?"),
    card_warn=("Por segurança, não envie dados de cartão por aqui, tá? O cadastro do cartão é "
               "feito só pelo app Minha Lumiar.",),
    card_sorry=("ops, desculpa", "ah tá, vou fazer pelo app"),
    retype=("mandei errado", "desculpa, era pra outra pessoa", "ops"),
)

EN = Bank(
    greet=("Hi!", "hello", "Hi team 👋", "Good morning!", "hey there", "Hi all", "hello hello",
           "Hey!"),
    intro=("I'm {full}, new customer here", "{first} here", "just moved to Floripa",
           "I'm thinking of signing up", "customer since last year"),
    ping=("anyone?", "bump", "?"),
    connect=("also,", "oh and one more thing:", "another question:", "btw"),
    thanks_m=("thanks!", "great, thanks a lot", "perfect, cheers", "thx!", "awesome, thank you",
              "ok got it, thanks"),
    thanks_f=("thanks!", "great, thanks a lot", "perfect, thank you so much 🙏", "thx!",
              "lovely, thanks", "ok got it, thanks"),
    hello=("Hi {first}! {agent} here from Lumiar.", "Hello {first}!", "Hi {first}, thanks for "
           "reaching out!", "Hey {first} 😊", "Good {period_en}, {first}!"),
    hello_anon=("Hi! {agent} here from Lumiar.", "Hello!", "Hi there!"),
    more=("Anything else I can help with?", "Let me know if you have any other questions!"),
    close=("You're welcome! Have a great day 😊", "Anytime, {first}!",
           "Happy to help! Enjoy the island.", "No problem at all!"),
    ask_id=("Could you send me the account holder's CPF or passport number, or your contract "
            "number?",
            "Sure, can you confirm your contract number or CPF first?"),
    give_cpf=("my CPF is {cpf}", "CPF: {cpf}", "it's {cpf}"),
    give_contract=("contract {contract}", "it's {contract}", "{contract}, under {full}"),
    give_passport=("passport {passport}", "my passport number is {passport}"),
    found=("Thanks, {first}! Found your account.", "Got it, thanks!", "Perfect, I see your "
           "contract here."),
    extra_email=("you can email me at {email}", "my email is {email} btw"),
    extra_phone=("my number is {phone} if you need to call", "call me on {phone} if needed"),
    extra_address=("the address is {address}", "I'm at {address}"),
    escalate=("Let me check with our network team and get back to you. cc {@agent2}",
              "Good question, let me confirm with {@agent2} and come back to you.",
              "I'll check and get back to you."),
    pending=("Still checking on this, sorry! Will update you as soon as I hear back.",),
    back=("Hi {first}, following up: ", "Sorry for the delay! ", "Update: "),
    poor=("Hmm, I think so, but please double check in the app.", "Not sure about that one, "
          "sorry.", "It depends, better to call the support line."),
    meh=("ok...", "hmm ok", "that doesn't really answer my question"),
    offtopic=(
        ("the wind today is crazy, is that the 'vento sul' everyone talks about?",
         "Haha yes, that's the one! Hold on to your hat."),
        ("btw any tips for surf spots? just arrived",
         "Joaquina and Moçambique are local favourites, but check the forecast first!"),
        ("did you watch the Avaí game? my neighbour was screaming all night",
         "Haha, people take football seriously here!"),
        ("it's been raining for 3 days straight 😩", "Welcome to Floripa in winter!"),
        ("loving the island so far btw", "So glad to hear it! 😊"),
    ),
    media_lead=("here's a photo", "screenshot below"),
    media_after=("can you see it?",),
    card=("can I just give you my card here? {card} exp 09/27",),
    card_warn=("Please don't share card details in this channel! Card payments can only be "
               "set up in the Minha Lumiar app.",),
    card_sorry=("oops, sorry!", "ah ok, will do it in the app"),
    retype=("wrong chat, sorry",),
)

BANKS = {"pt": PT, "en": EN}
WA_AGENTS = (  # (WhatsApp name of the exporting phone, how the agent introduces themselves)
    ("Ana (Lumiar)", "a Ana, da Lumiar Fibra"),
    ("Bruno - Lumiar Suporte", "o Bruno, do suporte da Lumiar"),
    ("Carla | Lumiar Fibra", "a Carla, da Lumiar Fibra"),
    ("Lumiar Fibra", "o atendimento da Lumiar Fibra"),
)
SLACK_AGENT_FIRST = ("Ana", "Diego", "Paula")  # Slack agents; the escalation colleague is Rafa


def period_pt(at: datetime) -> str:
    return "Bom dia" if at.hour < 12 else "Boa tarde" if at.hour < 18 else "Boa noite"


def period_en(at: datetime) -> str:
    return "morning" if at.hour < 12 else "afternoon" if at.hour < 18 else "evening"


PLAN_IDS = ("plan_300", "plan_600", "plan_giga")


def plan_list(lang: str) -> str:
    """All plans in one multi-line message, as agents paste them."""
    head = "Nossos planos:" if lang == "pt" else "Our plans:"
    per = "/mês" if lang == "pt" else "/month"
    lines = [head]
    for fid in PLAN_IDS:
        v = FACT_BY_ID[fid].vals(lang)
        lines.append(f"• {v['name']}: {v['speed']}, {v['price']}{per}")
    tail = ("Todos sem franquia de dados." if lang == "pt" else "No data caps on any of them.")
    return "\n".join([*lines, tail])


def next_morning(at: datetime, rng: random.Random, lang: str) -> datetime:
    """Some time in the next working morning of that language's support line."""
    day = at.date() + timedelta(days=1)
    if lang == "en":  # English support: Monday to Friday, from 9:00
        while day.weekday() > 4:
            day += timedelta(days=1)
        hour = rng.randrange(9, 11)
    else:  # Portuguese: every day, from 8:00 (9:00 on Sundays)
        hour = rng.randrange(9 if day.weekday() == 6 else 8, 11)
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=BRT)


class ChatBuilder:
    """Writes one conversation: a customer, an agent, one or two intents and chosen noise.

    Template choices come from their own RNG, so a near-duplicate is the same seed with
    another person and another start time.
    """

    def __init__(self, lang: str, rng: random.Random, person: Person, agent: int,
                 agent_intro: str, start: datetime, named: bool) -> None:
        self.lang = lang
        self.bank = BANKS[lang]
        self.rng = rng
        self.p = person
        self.agent = agent
        self.agent_intro = agent_intro
        self.t = start
        self.named = named  # the agent knows the customer's first name
        self.msgs: list[Msg] = []
        self.noise: list[str] = []

    # -- small helpers --------------------------------------------------------------------
    def pick(self, options: Sequence[str]) -> str:
        """One phrase; an agent who does not know the customer's name never uses it."""
        if not self.named:
            options = [o for o in options if "{first}" not in o] or list(options)
        return self.rng.choice(options)

    def fill(self, template: str) -> str:
        return template.format(
            first=self.p.first, full=self.p.full, agent=self.agent_intro,
            period=period_pt(self.t), period_en=period_en(self.t),
            cpf=fmt_cpf(self.p.cpf, self.rng), contract=self.p.contract, email=self.p.email,
            phone=fmt_phone(self.p.phone, self.rng), address=self.p.address,
            card=fmt_card(self.p.card, self.rng), passport=self.p.passport,
            **{"@agent2": "{@agent2}", "@customer": "{@customer}"},
        )

    def say(self, who: str, text: str, gap: float, kind: str = "text") -> Msg:
        self.t += timedelta(minutes=gap)
        msg = Msg(who, text, self.t, kind)
        self.msgs.append(msg)
        return msg

    def customer(self, text: str, gap: float | None = None) -> Msg:
        return self.say("customer", text, self.rng.uniform(0.1, 1.5) if gap is None else gap)

    def agent_says(self, text: str, gap: float | None = None, who: str = "agent") -> Msg:
        return self.say(who, text, self.rng.uniform(1, 18) if gap is None else gap)

    def plant(self, msg: Msg, kind: str, literal: str) -> None:
        if literal in msg.text:
            msg.pii.append((kind, literal))

    def answer(self, intent: str) -> str:
        if intent in PLAN_IDS and self.rng.random() < 0.3:
            return plan_list(self.lang)
        fact = FACT_BY_ID[intent]
        return fact.render(self.pick(fact.text(self.lang).answers), self.lang)

    def ask(self, intent: str) -> str:
        fact = FACT_BY_ID[intent]
        return roughen(fact.render(self.pick(fact.text(self.lang).asks), self.lang),
                       self.lang, self.rng)

    # -- conversation parts ---------------------------------------------------------------
    def opening(self, question: str) -> None:
        """Greeting, maybe an introduction, then the question; often in several messages."""
        parts: list[str] = []
        if self.rng.random() < 0.7:
            parts.append(roughen(self.pick(self.bank.greet), self.lang, self.rng))
        if self.rng.random() < 0.25:
            intro = self.rng.choice(self.bank.intro)  # the customer knows their own name
            if "{full}" in intro or "{first}" in intro:
                self.named = True
            parts.append(self.fill(intro))
        parts.append(question)
        if len(parts) > 1 and self.rng.random() < 0.15:  # one message, one line per thought
            msg = self.customer("\n".join(parts), 0)
            self.plant(msg, "name", self.p.full)
            self.noise.append("multi_line")
            return
        split = self.rng.random() < (0.5 if self.lang == "pt" else 0.25)
        if split and len(parts) > 1:
            self.noise.append("multi_message")
            for i, part in enumerate(parts):
                msg = self.customer(part, 0 if i == 0 else None)
                self.plant(msg, "name", self.p.full)
        else:
            text = parts[0]
            for part in parts[1:]:
                glue = ", " if self.lang == "pt" and text[-1] not in "!?.," else " "
                text += glue + part
            msg = self.customer(text, 0)
            self.plant(msg, "name", self.p.full)

    def hello(self) -> str:
        bank = self.bank
        return self.fill(self.pick(bank.hello if self.named else bank.hello_anon))

    def reply(self, text: str, greet: bool) -> None:
        """The agent's answer, with a hello the first time; one message or two."""
        if greet and self.rng.random() < 0.04:  # sent to the wrong chat, deleted at once
            self.say("agent", "", self.rng.uniform(1, 8), kind="deleted")
            self.noise.append("agent_deleted")
        if not greet:
            self.agent_says(text)
        elif self.rng.random() < 0.35:
            self.agent_says(self.hello())
            self.agent_says(text, self.rng.uniform(0.2, 2))
        else:
            self.agent_says(f"{self.hello()} {text}")

    def verify(self) -> None:
        """The agent asks who the customer is; the customer hands over personal data."""
        self.agent_says(f"{self.hello()} {self.pick(self.bank.ask_id)}")
        r = self.rng.random()
        if self.lang == "en" and r < 0.3:
            msg = self.customer(self.fill(self.pick(self.bank.give_passport)), None)
            self.plant(msg, "passport", self.p.passport)
        elif r < 0.65:
            cpf_text = self.fill(self.pick(self.bank.give_cpf))
            msg = self.customer(cpf_text, None)
            self.plant_cpf(msg)
            self.plant(msg, "name", self.p.full)
        else:
            msg = self.customer(self.fill(self.pick(self.bank.give_contract)), None)
            self.plant(msg, "contract", self.p.contract)
            self.plant(msg, "name", self.p.full)
        self.named = True
        extras = (
            ("email", self.bank.extra_email, self.p.email),
            ("phone", self.bank.extra_phone, fmt_phone(self.p.phone, self.rng)),
            ("address", self.bank.extra_address, self.p.address),
        )
        for kind, templates, literal in extras:
            if self.rng.random() < 0.22:
                msg = self.customer(self.pick(templates).replace("{" + kind + "}", literal))
                self.plant(msg, kind, literal)
                self.noise.append(f"pii_{kind}")
        self.noise.append("pii_verify")

    def plant_cpf(self, msg: Msg) -> None:
        found = re.search(r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}", msg.text)
        if found:
            msg.pii.append(("cpf", found.group(0)))

    def book_visit(self) -> None:
        """The customer picks a day; in WhatsApp the second line starts with a date."""
        day = self.t.date() + timedelta(days=self.rng.randrange(2, 5))
        if day.weekday() == 6:
            day += timedelta(days=1)
        morning = day.weekday() == 5 or self.rng.random() < 0.5  # Saturdays: mornings only
        window = FACT_BY_ID["tech_window"].vals(self.lang)["morning" if morning else "afternoon"]
        if self.lang == "pt":
            shift = "de manhã" if morning else "à tarde"
            self.customer(f"pode ser {shift}\n{day:%d/%m} tá bom?", self.rng.uniform(1, 4))
            self.agent_says(f"Agendado para {day:%d/%m}, das {window}. O técnico vai "
                            "identificado com crachá da Lumiar.")
        else:
            shift = "morning" if morning else "afternoon"
            self.customer(f"{shift} works\n{day:%d/%m} ok?", self.rng.uniform(1, 4))
            self.agent_says(f"Booked for {day:%d/%m}, {window}. The technician will carry a "
                            "Lumiar badge.")
        self.noise.append("multi_line")

    def maybe_media(self) -> None:
        if self.rng.random() < 0.12:
            self.customer(roughen(self.pick(self.bank.media_lead), self.lang, self.rng))
            self.say("customer", "", self.rng.uniform(0.1, 0.5), kind="media")
            if self.rng.random() < 0.5:
                self.customer(self.pick(self.bank.media_after))
            self.noise.append("media")

    def maybe_deleted(self) -> None:
        if self.rng.random() < 0.05:
            self.say("customer", "", self.rng.uniform(0.1, 1), kind="deleted")
            if self.rng.random() < 0.5:
                self.customer(self.pick(self.bank.retype))
            self.noise.append("deleted")

    def maybe_ping(self) -> None:
        if self.rng.random() < 0.1:
            self.customer(self.pick(self.bank.ping), self.rng.uniform(8, 25))
            self.noise.append("ping")

    def maybe_offtopic(self) -> None:
        if self.rng.random() < 0.1:
            said, answered = self.rng.choice(self.bank.offtopic)
            self.customer(said, self.rng.uniform(0.5, 3))
            self.agent_says(answered, self.rng.uniform(1, 6))
            self.noise.append("offtopic")

    def maybe_card(self) -> None:
        if self.rng.random() < 0.03:
            msg = self.customer(self.fill(self.pick(self.bank.card)), self.rng.uniform(1, 4))
            digits = re.search(r"\d{4} ?\d{4} ?\d{4} ?\d{4}", msg.text)
            if digits:
                msg.pii.append(("card", digits.group(0)))
            self.agent_says(self.pick(self.bank.card_warn), self.rng.uniform(0.5, 3))
            self.customer(self.pick(self.bank.card_sorry))
            self.noise.append("card")

    def thanks_and_close(self) -> None:
        if self.rng.random() < 0.8:
            thanks = self.bank.thanks_f if self.p.female else self.bank.thanks_m
            self.customer(roughen(self.pick(thanks), self.lang, self.rng), self.rng.uniform(1, 9))
            if self.rng.random() < 0.8:
                self.agent_says(self.fill(self.pick(self.bank.close)), self.rng.uniform(0.5, 5))

    # -- whole shapes ---------------------------------------------------------------------
    def build(self, intents: list[str], shape: str) -> list[Msg]:
        first = intents[0]
        self.opening(self.ask(first))
        self.maybe_media()
        self.maybe_deleted()
        self.maybe_ping()
        if shape == "account":
            self.verify()
            self.agent_says(f"{self.fill(self.pick(self.bank.found))} {self.answer(first)}",
                            self.rng.uniform(1, 6))
        elif shape in ("escalate", "escalate_open"):
            self.reply(self.fill(self.pick(self.bank.escalate)), greet=True)
            if shape == "escalate_open":
                self.t = next_morning(self.t, self.rng, self.lang)
                self.customer(self.pick(self.bank.ping), 0)
                self.agent_says(self.pick(self.bank.pending), self.rng.uniform(5, 40))
                self.noise.append("escalated_unanswered")
                return self.msgs
            who = "agent2" if self.lang == "en" and self.rng.random() < 0.5 else "agent"
            self.t = next_morning(self.t, self.rng, self.lang)
            self.agent_says(self.fill(self.pick(self.bank.back)) + self.answer(first), 0, who)
            self.noise.append("escalated_answered")
        elif shape == "poor":
            self.reply(self.pick(self.bank.poor), greet=True)
            self.customer(self.pick(self.bank.meh), self.rng.uniform(1, 5))
            self.noise.append("poor_answer")
            return self.msgs
        else:
            text = self.answer(first)
            if self.rng.random() < 0.25:
                text += " " + self.pick(self.bank.more)
            self.reply(text, greet=True)
        if first == "tech_window" and self.rng.random() < 0.6:
            self.book_visit()
        self.maybe_offtopic()
        if len(intents) > 1:
            connect = self.pick(self.bank.connect)
            self.customer(f"{connect} {self.ask(intents[1])}", self.rng.uniform(1, 6))
            self.agent_says(self.answer(intents[1]))
        self.maybe_card()
        self.thanks_and_close()
        return self.msgs


# --------------------------------------------------------------------------------------------
# Planning: who talks, when, about what
# --------------------------------------------------------------------------------------------


def intent_stream(rng: random.Random) -> Iterable[str]:
    """Every fact once per round, in a fresh order each round, so all facts get asked."""
    ids = [f.id for f in FACTS]
    while True:
        rng.shuffle(ids)
        yield from ids


def pick_shape(rng: random.Random, intent: str) -> str:
    r = rng.random()
    if r < 0.05:
        return "escalate"
    if r < 0.075:
        return "escalate_open"
    if r < 0.105:
        return "poor"
    if intent in ACCOUNT_INTENTS and rng.random() < 0.6:
        return "account"
    return "plain"


def pick_start(rng: random.Random, lang: str) -> datetime:
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    if lang == "en":  # English support: Monday to Friday, 9:00 to 18:00
        while day.weekday() > 4:
            day -= timedelta(days=1)
        hour = rng.randrange(9, 17)
    elif day.weekday() == 6:
        hour = rng.randrange(9, 16)
    else:
        hour = rng.randrange(8, 21)
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=BRT)


def wa_contact_name(rng: random.Random, person: Person) -> tuple[str, bool]:
    """The name the agent's phone shows for a customer, and whether the contact is saved."""
    r = rng.random()
    if r < 0.2:
        return wa_phone_name(person.phone), False
    if r < 0.35:
        return f"{person.first} {rng.choice(DISTRICTS)}", True
    if r < 0.45:
        return f"{person.first} (cliente)", True
    return person.full, True


@dataclass
class Planned:
    chat: Chat
    contact: str = ""  # WhatsApp display name of the customer
    template_seed: str = ""


def plan_chats(lang: str, count: int, near_dups: int, rng: random.Random,
               people: Sequence[Person] | None = None) -> list[Planned]:
    """Build `count` chats; the last `near_dups` reuse an earlier chat's template seed."""
    stream = iter(intent_stream(rng))
    agents = len(WA_AGENTS) if lang == "pt" else len(SLACK_AGENT_FIRST)
    planned: list[Planned] = []
    for i in range(count):
        person = rng.choice(people) if people else make_person(rng, lang, i)
        intents = [next(stream)]
        shape = pick_shape(rng, intents[0])
        if shape not in ("poor", "escalate_open") and rng.random() < 0.28:
            intents.append(next(stream))
        seed = f"{SEED}:{lang}:{i}"
        noise: list[str] = []
        if i >= count - near_dups:  # same words as an earlier chat, another customer and day
            source = planned[rng.randrange(0, count - near_dups)]
            seed, intents, shape = source.template_seed, source.chat.intents, source.chat.shape
            while people and person is source.chat.person:
                person = rng.choice(people)
            noise.append("near_duplicate")
        agent = rng.randrange(agents)
        start = pick_start(rng, lang)
        contact, saved = wa_contact_name(rng, person) if lang == "pt" else (person.full, True)
        intro = WA_AGENTS[agent][1] if lang == "pt" else SLACK_AGENT_FIRST[agent]
        builder = ChatBuilder(lang, random.Random(seed), person, agent, intro, start, saved)
        msgs = builder.build(intents, shape)
        chat = Chat(lang, person, agent, msgs, intents, shape, noise + builder.noise, saved)
        planned.append(Planned(chat, contact, seed))
    return planned


def add_edits(planned: Sequence[Planned], rng: random.Random, count: int) -> None:
    """Mark a few customer messages as edited (WhatsApp writes "<Mensagem editada>")."""
    for p in rng.sample(list(planned), count):
        texts = [m for m in p.chat.msgs if m.who == "customer" and m.kind == "text"]
        rng.choice(texts).edited = True
        p.chat.noise.append("edited")


# --------------------------------------------------------------------------------------------
# WhatsApp (Android, pt-BR) export
# --------------------------------------------------------------------------------------------

E2E_NOTICE = (
    "As mensagens e as ligações são protegidas com a criptografia de ponta a ponta e ficam "
    "somente entre você e os participantes desta conversa. Nem mesmo o WhatsApp pode ler ou "
    "ouvir o conteúdo delas. Toque para saber mais."
)


def wa_stamp(at: datetime) -> str:
    return at.strftime("%d/%m/%Y %H:%M")  # pt-BR Android: no comma between date and time


def wa_body(msg: Msg) -> str:
    if msg.kind == "media":
        return "<Mídia oculta>"
    if msg.kind == "deleted":
        return "Esta mensagem foi apagada" if msg.who == "customer" else "Você apagou esta mensagem"
    return msg.text + (" <Mensagem editada>" if msg.edited else "")


def wa_chat_text(p: Planned) -> str:
    agent_name = WA_AGENTS[p.chat.agent][0]
    lines = [f"{wa_stamp(p.chat.msgs[0].at)} - {E2E_NOTICE}"]
    for msg in p.chat.msgs:
        sender = p.contact if msg.who == "customer" else agent_name
        lines.append(f"{wa_stamp(msg.at)} - {sender}: {wa_body(msg)}")
    return "\n".join(lines) + "\n"


def zip_bytes(member: str, data: bytes, when: datetime) -> bytes:
    """A deflated zip with one member and a fixed timestamp and attributes: same bytes per run."""
    info = zipfile.ZipInfo(member, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, also when the generator runs on Windows
    info.external_attr = 0o100644 << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, data, compresslevel=6)
    return buf.getvalue()


def write_whatsapp(out: Path, planned: Sequence[Planned], dup_count: int,
                   rng: random.Random, pii: list[dict[str, str]]) -> dict[str, int]:
    folder = out / "whatsapp"
    folder.mkdir(parents=True)
    used: set[str] = set()
    written: list[tuple[str, bytes, Planned]] = []
    for p in planned:
        base = f"Conversa do WhatsApp com {p.contact}"
        name, n = base, 0
        while name in used:  # the browser's answer to a second download of the same name
            n += 1
            name = f"{base} ({n})"
        used.add(name)
        export_at = p.chat.msgs[-1].at + timedelta(days=rng.randrange(1, 20), minutes=7)
        text = wa_chat_text(p).encode("utf-8")
        written.append((name, zip_bytes(f"{base}.txt", text, export_at), p))
    for _, data, p in rng.sample(written, dup_count):  # the same export downloaded twice
        base = f"Conversa do WhatsApp com {p.contact}"
        n = 1
        while f"{base} ({n})" in used:
            n += 1
        used.add(f"{base} ({n})")
        written.append((f"{base} ({n})", data, p))
        p.chat.noise.append("exact_duplicate")
    for name, data, p in sorted(written, key=lambda w: w[0]):
        (folder / f"{name}.zip").write_bytes(data)
        record_pii(pii, in_file(f"whatsapp/{name}.zip"), p)
    return {"files": len(written), "messages": sum(len(p.chat.msgs) for _, _, p in written)}


def in_file(where: str) -> Callable[[Msg], str]:
    """Every message of the conversation lands in the same file."""
    return lambda _msg: where


def record_pii(pii: list[dict[str, str]], where: Callable[[Msg], str], p: Planned) -> None:
    """List the personal data planted in a conversation, with the file each piece lands in."""
    if p.chat.lang == "pt":  # the WhatsApp contact name is in every line and in the file name
        kind = "name" if p.contact == p.chat.person.full else (
            "phone" if p.contact.startswith("+55") else "")
        if kind:
            pii.append({"kind": kind, "value": p.contact, "file": where(p.chat.msgs[0])})
    for msg in p.chat.msgs:
        if msg.kind == "deleted" and p.chat.lang == "en":
            continue  # Slack drops deleted messages
        for kind, literal in msg.pii:
            pii.append({"kind": kind, "value": literal, "file": where(msg)})


# --------------------------------------------------------------------------------------------
# Slack export (the shared #support channel, Slack Connect with a remote workers' community)
# --------------------------------------------------------------------------------------------

LUMIAR_TEAM = "T05LMRFB2Q"
NOMADS_TEAM = "T04FLPNMD7"  # "Floripa Nomads", the community workspace the channel is shared with
CHANNEL_ID = "C06SUPL4F1"
STATUS_BOT = "B06STAT9UZ"
ID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
EMOJI = {  # Slack stores emoji as shortcodes in `text` and as emoji elements in blocks
    "😊": ("blush", "1f60a"), "🙏": ("pray", "1f64f"), "😅": ("sweat_smile", "1f605"),
    "👋": ("wave", "1f44b"), "😩": ("weary", "1f629"), "😄": ("smile", "1f604"),
    "👍": ("+1", "1f44d"), "☀️": ("sunny", "2600-fe0f"),
}
TOKEN_RE = re.compile(
    r"\{@(?P<mention>customer|agent2|U[A-Z0-9]+)\}"
    r"|(?:https://)?(?P<url>(?:velocidade|status)\.lumiarfibra\.com\.br)"
    r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<emoji>" + "|".join(re.escape(e) for e in EMOJI) + ")"
)


@dataclass
class SlackUser:
    id: str
    team: str
    handle: str
    real_name: str
    display_name: str
    first: str
    last: str
    title: str = ""
    tz: str = "America/Sao_Paulo"
    listed: bool = True  # in users.json; some Slack Connect guests only show via user_profile


def slack_id(rng: random.Random, prefix: str) -> str:
    return prefix + "0" + rng.choice("56") + "".join(rng.choice(ID_CHARS) for _ in range(8))


def avatar(user: SlackUser) -> tuple[str, str]:
    digest = hashlib.md5(user.id.encode()).hexdigest()  # a made-up avatar hash
    return "g" + digest[:11], f"https://secure.gravatar.com/avatar/{digest}.jpg?s=72&d=mp"


def slack_agents(rng: random.Random) -> list[SlackUser]:
    people = (("Ana", "Prado"), ("Diego", "Sato"), ("Paula", "Reis"), ("Rafael", "Lins"))
    agents = []
    for first, last in people:
        shown = "Rafa - NOC" if first == "Rafael" else first
        agents.append(SlackUser(
            slack_id(rng, "U"), LUMIAR_TEAM, f"{first.lower()}.{last.lower()}",
            f"{first} {last} (Lumiar)", f"{shown} (Lumiar)", first, last,
            "Network operations, Lumiar Fibra" if first == "Rafael" else "Support, Lumiar Fibra",
        ))
    return agents


def slack_customer(rng: random.Random, person: Person) -> SlackUser:
    handle = ascii_fold(person.first).lower() + "." + ascii_fold(person.last).lower()
    handle = handle.replace(" ", "").replace("'", "")
    tz = rng.choice(("America/Sao_Paulo",) * 4 + ("Europe/Berlin", "America/New_York"))
    return SlackUser(slack_id(rng, "U"), NOMADS_TEAM, handle, person.full,
                     rng.choice((person.first, person.full, "")), person.first, person.last,
                     tz=tz)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_render(text: str, ids: Mapping[str, str]) -> tuple[str, list[dict[str, object]]]:
    """Plain text -> (Slack `text` with its markup, rich_text elements), as the client sends."""
    out: list[str] = []
    elements: list[dict[str, object]] = []

    def plain(chunk: str) -> None:
        if not chunk:
            return
        out.append(slack_escape(chunk))
        if elements and elements[-1]["type"] == "text":
            elements[-1]["text"] = str(elements[-1]["text"]) + chunk
        else:
            elements.append({"type": "text", "text": chunk})

    pos = 0
    for m in TOKEN_RE.finditer(text):
        plain(text[pos : m.start()])
        pos = m.end()
        if m["mention"]:
            uid = ids.get(m["mention"], m["mention"])
            out.append(f"<@{uid}>")
            elements.append({"type": "user", "user_id": uid})
        elif m["url"]:
            out.append(f"<https://{m['url']}|{m['url']}>")
            elements.append({"type": "link", "url": f"https://{m['url']}", "text": m["url"]})
        elif m["email"]:
            out.append(f"<mailto:{m['email']}|{m['email']}>")
            elements.append({"type": "link", "url": f"mailto:{m['email']}", "text": m["email"]})
        else:
            name, code = EMOJI[m["emoji"]]
            out.append(f":{name}:")
            elements.append({"type": "emoji", "name": name, "unicode": code})
    plain(text[pos:])
    return "".join(out), elements


class SlackChannel:
    """Collects the channel's messages as Slack writes them, then writes the day files."""

    def __init__(self, rng: random.Random, users: dict[str, SlackUser]) -> None:
        self.rng = rng
        self.users = users
        self.messages: list[dict[str, object]] = []
        self.taken: set[str] = set()

    def ts(self, at: datetime) -> str:
        micro = at.microsecond or self.rng.randrange(1, 10**6)
        stamp = f"{int(at.timestamp())}.{micro:06d}"
        while stamp in self.taken:  # two messages in the same microsecond would share an id
            micro = (micro + 1) % 10**6
            stamp = f"{int(at.timestamp())}.{micro:06d}"
        self.taken.add(stamp)
        return stamp

    def profile(self, user: SlackUser) -> dict[str, object]:
        avatar_hash, image = avatar(user)
        return {
            "avatar_hash": avatar_hash, "image_72": image, "first_name": user.first,
            "real_name": user.real_name, "display_name": user.display_name, "team": user.team,
            "name": user.handle, "is_restricted": False, "is_ultra_restricted": False,
        }

    def post(self, user: SlackUser, at: datetime, text: str, ids: Mapping[str, str],
             thread_ts: str | None = None, parent: str | None = None) -> dict[str, object]:
        rendered, elements = slack_render(text, ids)
        block_id = "".join(self.rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
                                           "0123456789") for _ in range(5))
        msg: dict[str, object] = {
            "user": user.id, "type": "message", "ts": self.ts(at),
            "client_msg_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "text": rendered, "team": user.team, "user_team": user.team,
            "source_team": user.team, "user_profile": self.profile(user),
            "blocks": [{"type": "rich_text", "block_id": block_id, "elements": [
                {"type": "rich_text_section", "elements": elements}]}],
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
            msg["parent_user_id"] = parent
        self.messages.append(msg)
        return msg

    def upload(self, user: SlackUser, at: datetime, thread_ts: str | None,
               parent: str | None) -> None:
        """A photo shared in a thread: a message with a `files` entry and empty text."""
        ts = self.ts(at)
        number = self.rng.randrange(1000, 9999)
        file_id = slack_id(self.rng, "F")
        msg: dict[str, object] = {
            "type": "message", "text": "", "files": [{
                "id": file_id, "created": int(at.timestamp()), "timestamp": int(at.timestamp()),
                "name": f"IMG_{number}.jpg", "title": f"IMG_{number}.jpg",
                "mimetype": "image/jpeg", "filetype": "jpg", "pretty_type": "JPEG",
                "user": user.id, "user_team": user.team, "mode": "hosted",
                "size": self.rng.randrange(90_000, 2_400_000),
                "url_private": f"https://files.slack.com/files-pri/{LUMIAR_TEAM}-{file_id}/"
                               f"img_{number}.jpg",
            }], "upload": True, "user": user.id, "display_as_bot": False, "ts": ts,
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
            msg["parent_user_id"] = parent
        self.messages.append(msg)

    def event(self, msg: dict[str, object]) -> None:
        self.messages.append(msg)

    def write(self, folder: Path) -> list[Path]:
        by_day: dict[str, list[dict[str, object]]] = {}
        for msg in self.messages:
            day = datetime.fromtimestamp(float(str(msg["ts"])), timezone.utc).date().isoformat()
            by_day.setdefault(day, []).append(msg)
        paths = []
        for day in sorted(by_day):
            path = folder / f"{day}.json"
            path.write_text(slack_json(sorted(by_day[day], key=lambda m: float(str(m["ts"])))),
                            encoding="utf-8")
            paths.append(path)
        return paths


def slack_json(obj: object) -> str:
    """Slack's export JSON: 4-space indent, \\uXXXX escapes, escaped slashes, no final newline."""
    return json.dumps(obj, indent=4, ensure_ascii=True).replace("/", "\\/")


def thread_of(channel: SlackChannel, p: Planned, customer: SlackUser,
              agents: Sequence[SlackUser]) -> list[dict[str, object]]:
    """Post one conversation: the first customer message is the root, the rest its replies."""
    rng = channel.rng
    agent, colleague = agents[p.chat.agent], agents[3]
    ids = {"customer": customer.id, "agent2": colleague.id}
    msgs = [m for m in p.chat.msgs if m.kind != "deleted"]  # deleted messages leave no trace
    root = channel.post(customer, msgs[0].at, msgs[0].text, ids)
    root_ts = str(root["ts"])
    posted = [root]
    mention_first = rng.random() < 0.4  # some agents @-mention the customer in their first reply
    answered = False
    for msg in msgs[1:]:
        who = customer if msg.who == "customer" else colleague if msg.who == "agent2" else agent
        if msg.kind == "media":
            channel.upload(who, msg.at, root_ts, customer.id)
            continue
        text = msg.text
        if who is not customer and not answered:
            text = "{@customer} " + text if mention_first else text
            answered = True
        reply = channel.post(who, msg.at, text, ids, root_ts, customer.id)
        if msg.edited:
            reply["edited"] = {"user": who.id, "ts": channel.ts(msg.at + timedelta(minutes=2))}
        posted.append(reply)
    replies = [m for m in channel.messages if m.get("thread_ts") == root_ts and m is not root]
    if replies:
        reply_users = list(dict.fromkeys(str(m["user"]) for m in replies))
        root.update({
            "thread_ts": root_ts, "reply_count": len(replies),
            "reply_users_count": len(reply_users), "latest_reply": replies[-1]["ts"],
            "reply_users": reply_users,
            "replies": [{"user": m["user"], "ts": m["ts"]} for m in replies],
            "is_locked": False, "subscribed": False,
        })
    if rng.random() < 0.2:
        root["reactions"] = [{"name": rng.choice(("eyes", "white_check_mark", "pray")),
                              "users": [agent.id], "count": 1}]
    return posted


SLACK_CHATTER: tuple[tuple[tuple[str, str], ...], ...] = (
    # Non-threaded messages around the support threads; each group is posted on one day, in
    # order, by (who, text): "customer" is any customer, "other" a different one.
    (("customer", "morning all ☀️"),),
    (("customer", "anyone else's internet slow in Lagoa right now?"),
     ("other", "same here in Barra da Lagoa"),
     ("agent", "Heads up: planned maintenance tonight, follow it on status.lumiarfibra.com.br")),
    (("customer", "is there a good coworking in Trindade? asking for a friend"),),
    (("customer", "sorry, wrong channel!"),),
    (("customer", "happy friday everyone"),),
    (("customer", "welcome {@U} 👋"),),
    (("agent", "Reminder: English support is Monday to Friday, 9:00 to 18:00. Outside those "
               "hours you can call (48) 3000-5821."),),
    (("customer", "does anyone know a good plumber in Campeche? 😅"),),
    (("customer", "thanks for the quick help yesterday {@A}!"),),
    (("agent", "Hi everyone 👋 new faces this week, welcome! Post your questions here and we'll "
               "answer in a thread."),),
)


def write_slack(out: Path, planned: Sequence[Planned], reposts: int, rng: random.Random,
                pii: list[dict[str, str]]) -> tuple[dict[str, int], list[Chat]]:
    """Write the export; returns its counts and the re-posted conversations."""
    folder = out / "slack"
    (folder / "support").mkdir(parents=True)
    agents = slack_agents(rng)
    customers: dict[int, SlackUser] = {}
    for p in planned:
        key = id(p.chat.person)
        if key not in customers:
            customers[key] = slack_customer(rng, p.chat.person)
    unlisted = rng.sample(sorted(customers.values(), key=lambda u: u.id), 3)
    for user in unlisted:
        user.listed = False
    users = {u.id: u for u in [*agents, *customers.values()]}
    channel = SlackChannel(rng, users)
    created = datetime(2024, 1, 8, 8, 30, tzinfo=BRT)
    channel_events(channel, agents, created)

    order = sorted(planned, key=lambda p: p.chat.msgs[0].at)
    repost_of = set(rng.sample(range(len(order)), reposts))
    joined: set[str] = set()
    threads = 0
    reposted: list[Chat] = []
    for i, p in enumerate(order):
        customer = customers[id(p.chat.person)]
        runs = [p] + ([repost(p, rng)] if i in repost_of else [])
        reposted += [run.chat for run in runs[1:]]
        for run in runs:
            if customer.id not in joined:
                joined.add(customer.id)
                join_at = run.chat.msgs[0].at - timedelta(minutes=rng.uniform(2, 90))
                channel.event(join_event(channel, customer, join_at, agents[0], rng))
            thread_of(channel, run, customer, agents)
            threads += 1
            record_pii(pii, lambda m: f"slack/support/{m.at.astimezone(timezone.utc).date()}.json",
                       run)
    chatter(channel, agents, list(customers.values()), rng)
    status_bot(channel, rng)
    day_files = channel.write(folder / "support")
    listed = sorted((u for u in users.values() if u.listed), key=lambda u: u.id)
    (folder / "users.json").write_text(slack_json([user_json(u) for u in listed]),
                                       encoding="utf-8")
    members = sorted(users)
    (folder / "channels.json").write_text(slack_json([{
        "id": CHANNEL_ID, "name": "support", "created": int(created.timestamp()),
        "creator": agents[0].id, "is_archived": False, "is_general": False, "members": members,
        "topic": {"value": "Lumiar Fibra support in English · Mon-Fri 9:00-18:00",
                  "creator": agents[0].id, "last_set": int(created.timestamp())},
        "purpose": {"value": "Ask Lumiar Fibra anything: plans, billing, Wi-Fi, installation.",
                    "creator": agents[0].id, "last_set": int(created.timestamp())},
    }]), encoding="utf-8")
    in_threads = sum(1 for m in channel.messages if "thread_ts" in m)
    stats = {"threads": threads, "day_files": len(day_files), "messages": len(channel.messages),
             "thread_messages": in_threads,
             "users_listed": len(listed), "users_unlisted": len(unlisted)}
    return stats, reposted


def repost(p: Planned, rng: random.Random) -> Planned:
    """The same conversation again, days later: a customer who re-asks and gets the same text."""
    shift = timedelta(days=rng.randrange(3, 12), minutes=rng.randrange(-90, 90))
    while (p.chat.msgs[0].at + shift).weekday() > 4:  # English support works on weekdays
        shift += timedelta(days=1)
    msgs = [Msg(m.who, m.text, m.at + shift, m.kind, m.edited, list(m.pii)) for m in p.chat.msgs]
    chat = Chat(p.chat.lang, p.chat.person, p.chat.agent, msgs, p.chat.intents, p.chat.shape,
                ["exact_duplicate"], p.chat.saved_contact)
    return Planned(chat, p.contact, p.template_seed)


def join_event(channel: SlackChannel, user: SlackUser, at: datetime, inviter: SlackUser,
               rng: random.Random) -> dict[str, object]:
    event: dict[str, object] = {"user": user.id}
    if rng.random() < 0.5:
        event["inviter"] = inviter.id
    event.update({"type": "message", "subtype": "channel_join",
                  "text": f"<@{user.id}> has joined the channel", "ts": channel.ts(at)})
    return event


def channel_events(channel: SlackChannel, agents: Sequence[SlackUser], created: datetime) -> None:
    for i, agent in enumerate(agents):
        channel.event(join_event(channel, agent, created + timedelta(seconds=i * 7), agents[0],
                                 random.Random(i)))
    channel.event({
        "user": agents[0].id, "type": "message", "subtype": "channel_purpose",
        "ts": channel.ts(created + timedelta(minutes=2)),
        "text": f"<@{agents[0].id}> set the channel purpose: Ask Lumiar Fibra anything: plans, "
                "billing, Wi-Fi, installation.",
        "purpose": "Ask Lumiar Fibra anything: plans, billing, Wi-Fi, installation.",
    })


def chatter(channel: SlackChannel, agents: Sequence[SlackUser], customers: list[SlackUser],
            rng: random.Random) -> None:
    people = sorted(customers, key=lambda u: u.id)
    for group in SLACK_CHATTER:
        at = pick_start(rng, "en")
        first = rng.choice(people)
        for who, text in group:
            at += timedelta(minutes=rng.uniform(1, 12))
            if who == "agent":
                user = rng.choice(agents[:3])
            else:
                user = first if who == "customer" else rng.choice([u for u in people
                                                                    if u is not first])
            other = rng.choice(people)
            text = text.replace("{@U}", "{@" + other.id + "}")
            text = text.replace("{@A}", "{@" + agents[0].id + "}")
            channel.post(user, at, text, {})


def status_bot(channel: SlackChannel, rng: random.Random) -> None:
    """The status page integration posts planned maintenance as a bot."""
    for district in ("Campeche", "Itacorubi", "Estreito"):
        at = pick_start(rng, "en")
        day = (at + timedelta(days=2)).strftime("%d/%m/%Y")
        channel.event({
            "type": "message", "subtype": "bot_message",
            "text": f"Planned maintenance in {district} on {day}, 01:00 to 05:00. Details: "
                    "<https://status.lumiarfibra.com.br|status.lumiarfibra.com.br>",
            "ts": channel.ts(at), "username": "Lumiar Status", "bot_id": STATUS_BOT,
            "icons": {"image_48": "https://status.lumiarfibra.com.br/icon-48.png"},
        })


def user_json(user: SlackUser) -> dict[str, object]:
    avatar_hash, image = avatar(user)
    offsets = {"America/Sao_Paulo": ("Brasilia Standard Time", -10800),
               "Europe/Berlin": ("Central European Summer Time", 7200),
               "America/New_York": ("Eastern Daylight Time", -14400)}
    tz_label, tz_offset = offsets[user.tz]
    return {
        "id": user.id, "team_id": user.team, "name": user.handle, "deleted": False,
        "color": hashlib.md5(user.handle.encode()).hexdigest()[:6],
        "real_name": user.real_name, "tz": user.tz, "tz_label": tz_label, "tz_offset": tz_offset,
        "profile": {
            "title": user.title, "phone": "", "skype": "", "real_name": user.real_name,
            "real_name_normalized": ascii_fold(user.real_name),
            "display_name": user.display_name,
            "display_name_normalized": ascii_fold(user.display_name), "fields": {},
            "status_text": "", "status_emoji": "", "status_expiration": 0,
            "avatar_hash": avatar_hash, "first_name": user.first, "last_name": user.last,
            "image_72": image, "team": user.team,
        },
        "is_admin": user.team == LUMIAR_TEAM and user.first == "Ana", "is_owner": False,
        "is_primary_owner": False, "is_restricted": False, "is_ultra_restricted": False,
        "is_bot": False, "is_app_user": False, "updated": 1704710000,
    }


# --------------------------------------------------------------------------------------------
# Company documents (the RAG side), written from the same facts
# --------------------------------------------------------------------------------------------

DOCS = (  # (file, language, title, intro, topics)
    ("faq-pt.md", "pt", "Lumiar Fibra: perguntas frequentes",
     "Respostas rápidas para as dúvidas mais comuns dos nossos clientes.", None),
    ("faq-en.md", "en", "Lumiar Fibra: frequently asked questions",
     "Quick answers to the questions our customers ask most.", None),
    ("precos-e-planos.md", "pt", "Planos, preços e adicionais",
     "Tabela de preços vigente da Lumiar Fibra. Todos os planos são de fibra óptica, sem "
     "franquia de dados.", ("plans",)),
    ("prices-and-plans-en.md", "en", "Plans, prices and add-ons",
     "Current Lumiar Fibra price list. All plans are fiber, with no data cap.", ("plans",)),
    ("politica-de-instalacao.md", "pt", "Política de instalação",
     "Como funciona a instalação da fibra, do pedido à visita do técnico.", ("install",)),
    ("contrato-cancelamento-e-reembolso.md", "pt", "Contrato, cancelamento e reembolso",
     "Regras de fidelidade, cancelamento, reembolso, suspensão e mudanças no contrato.",
     ("contract",)),
    ("cancellation-and-refunds-en.md", "en", "Contract, cancellation and refunds",
     "Loyalty period, cancellation, refunds, pauses and other contract changes.",
     ("contract",)),
    ("atendimento-e-contato.md", "pt", "Atendimento e contato",
     "Todos os canais para falar com a Lumiar Fibra.", ("contact",)),
    ("guia-do-roteador.md", "pt", "Guia do roteador Lumibox",
     "Como usar, reiniciar e restaurar o seu roteador.", ("router",)),
    ("router-guide-en.md", "en", "Lumibox router guide",
     "How to use, restart and reset your router.", ("router",)),
    ("pagamentos-e-faturas.md", "pt", "Pagamentos e faturas",
     "Vencimentos, formas de pagamento, descontos e atrasos.", ("billing",)),
    ("suporte-tecnico.md", "pt", "Suporte técnico e qualidade da conexão",
     "Como medir a velocidade, acompanhar quedas e pedir desconto por indisponibilidade.",
     ("technical",)),
)
FAQ_FIXES = (  # undo the chat shorthand for FAQ headings
    (r"\bvcs tem\b", "vocês têm"), (r"\bvcs\b", "vocês"), (r"\bvc\b", "você"),
    (r"\bpra\b", "para"), (r"\bpro\b", "para o"), (r"\bq\b", "que"), (r"\bta\b", "está"),
    (r"\bnao\b", "não"), (r"\btecnico\b", "técnico"), (r"\bhorario\b", "horário"),
    (r"\bfisica\b", "física"), (r"\bsabado\b", "sábado"), (r"\bsimetrica\b", "simétrica"),
    (r"\bcartao\b", "cartão"), (r"\bmanutenção\b", "manutenção"), (r"\bregiao\b", "região"),
    (r"\bgratis\b", "grátis"), (r"\bpadrao\b", "padrão"), (r"\bfabrica\b", "fábrica"),
    (r"\bsalario\b", "salário"), (r"\bindicação\b", "indicação"), (r"\bvao\b", "vão"),
    (r"\bnet\b", "internet"), (r"\bnomade\b", "Nômade"), (r"\bzap\b", "WhatsApp"),
    (r"\bwhats\b", "WhatsApp"), (r"\bwifi\b", "Wi-Fi"), (r"\bip\b", "IP"),
    (r"\bmes\b", "mês"), (r"\bfloripa\b", "Floripa"), (r"\bpalhoça\b", "Palhoça"),
    (r"\balguem\b", "alguém"), (r"\bingles\b", "inglês"), (r"\bai\b", "aí"),
    (r"\bcampeche\b", "Campeche"), (r"\bsão josé\b", "São José"), (r"\bpls\b", "please"),
)


def faq_question(fact: Fact, lang: str) -> str:
    """The FAQ heading: the first chat question that is a question, tidied; else the title."""
    text = fact.text(lang)
    asks = [fact.render(a, lang) for a in text.asks if a.endswith("?")]
    if not asks:
        return text.title
    ask = asks[0]
    for pattern, repl in FAQ_FIXES:
        ask = re.sub(pattern, repl, ask)
    return ask[:1].upper() + ask[1:]


def price_table(lang: str) -> list[str]:
    up = FACT_BY_ID["upload"].vals(lang)
    uploads = {"plan_300": up["up300"], "plan_600": up["up600"], "plan_giga": up["upgiga"],
               "plan_nomade": up["up300"]}
    head = ("| Plano | Download | Upload | Mensalidade |" if lang == "pt"
            else "| Plan | Download | Upload | Monthly fee |")
    rows = [head, "|---|---|---|---|"]
    for fid in ("plan_300", "plan_600", "plan_giga", "plan_nomade"):
        v = FACT_BY_ID[fid].vals(lang)
        rows.append(f"| {v['name']} | {v['speed']} | {uploads[fid]} | {v['price']} |")
    return rows


def doc_markdown(lang: str, title: str, intro: str, topics: tuple[str, ...] | None) -> str:
    lines = [f"# {title}", "", intro, ""]
    if topics is None:  # an FAQ: every fact, as question and answer
        for fact in FACTS:
            text = fact.text(lang)
            lines += [f"## {faq_question(fact, lang)}", "",
                      fact.render(text.doc, lang), ""]
    else:
        if "plans" in topics:
            lines += [*price_table(lang), ""]
        for fact in FACTS:
            if fact.topic in topics:
                text = fact.text(lang)
                lines += [f"## {text.title}", "", fact.render(text.doc, lang), ""]
    updated = "Atualizado em junho de 2024." if lang == "pt" else "Last updated June 2024."
    lines += ["---", "", f"Lumiar Fibra · {updated}", ""]
    return "\n".join(lines)


def write_docs(out: Path) -> dict[str, int]:
    folder = out / "docs"
    folder.mkdir(parents=True)
    for name, lang, title, intro, topics in DOCS:
        (folder / name).write_text(doc_markdown(lang, title, intro, topics), encoding="utf-8")
    return {"files": len(DOCS)}


# --------------------------------------------------------------------------------------------
# Held-out questions, the fact table, the PII list, the manifest
# --------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case-, accent- and spacing-blind form used for the never-in-the-chats check."""
    return " ".join(ascii_fold(text).casefold().split())


def heldout_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for lang in ("pt", "en"):
        for fact in FACTS:
            text = fact.text(lang)
            for question in text.heldout:
                rows.append({
                    "id": f"{lang}-{len([r for r in rows if r['lang'] == lang]) + 1:03d}",
                    "lang": lang, "question": question,
                    "reference": fact.render(text.answers[0], lang),
                    "facts": fact.key_facts(lang), "fact_ids": [fact.id],
                })
    return rows


def check_heldout(rows: Sequence[Mapping[str, object]], chats: Iterable[Chat]) -> None:
    """Refuse to write data where a held-out question leaks into the chats or a fact is missing."""
    corpus = normalise("\n".join(m.text for chat in chats for m in chat.msgs))
    asks = {normalise(FACT_BY_ID[f.id].render(a, lang))
            for f in FACTS for lang in ("pt", "en") for a in f.text(lang).asks}
    for row in rows:
        question = normalise(str(row["question"]))
        if question in corpus or question in asks:
            raise SystemExit(f"held-out question {row['id']} occurs in the conversations")
        for fact in row["facts"]:  # type: ignore[attr-defined]
            if fact not in str(row["reference"]):
                raise SystemExit(f"held-out {row['id']}: fact {fact!r} not in its reference")


def check_facts() -> None:
    """Every answer template and document sentence states all of its fact's key values."""
    for fact in FACTS:
        for lang in ("pt", "en"):
            text = fact.text(lang)
            for template in (*text.answers, text.doc):
                rendered = fact.render(template, lang)
                missing = [k for k in fact.key_facts(lang) if k not in rendered]
                if missing:
                    raise SystemExit(f"{fact.id}/{lang}: {missing} missing from {rendered!r}")


def facts_json() -> list[dict[str, object]]:
    return [{
        "id": f.id, "topic": f.topic,
        **{lang: {"title": f.text(lang).title, "statement": f.render(f.text(lang).doc, lang),
                  "values": f.vals(lang), "facts": f.key_facts(lang)} for lang in ("pt", "en")},
    } for f in FACTS]


def write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def noise_counts(chats: Iterable[Chat], skip: Sequence[str] = ()) -> dict[str, int]:
    counts: dict[str, int] = {}
    for chat in chats:
        for label in dict.fromkeys(chat.noise):  # a label counts once per conversation
            if label in skip:
                continue
            counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def generate(out: Path) -> dict[str, object]:
    check_facts()
    rng = random.Random(SEED)
    wa = plan_chats("pt", N_WHATSAPP_CHATS, 3, rng)
    add_edits(wa, rng, 3)
    en_people = [make_person(rng, "en", 1000 + i) for i in range(80)]
    sl = plan_chats("en", N_SLACK_THREADS, 2, rng, en_people)
    add_edits(sl, rng, 2)
    rows = heldout_rows()
    check_heldout(rows, [p.chat for p in [*wa, *sl]])

    out.mkdir(parents=True)
    pii: list[dict[str, str]] = []
    wa_stats = write_whatsapp(out, wa, N_WA_DUPLICATES, rng, pii)
    sl_stats, reposted = write_slack(out, sl, N_SLACK_REPOSTS, rng, pii)
    doc_stats = write_docs(out)
    (out / "heldout.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    write_json(out / "facts.json", facts_json())
    unique = {(p["file"], p["kind"], p["value"]): p for p in pii}
    write_json(out / "pii.json", [unique[k] for k in sorted(unique)])
    manifest = {
        "generator": "scripts/make_sample_domain.py", "seed": SEED,
        "counts": {
            "facts": len(FACTS),
            "whatsapp_chats": N_WHATSAPP_CHATS, "whatsapp_zip_files": wa_stats["files"],
            "whatsapp_messages": wa_stats["messages"],
            "slack_threads": sl_stats["threads"], "slack_day_files": sl_stats["day_files"],
            "slack_messages": sl_stats["messages"],
            "slack_thread_messages": sl_stats["thread_messages"],
            "slack_users_listed": sl_stats["users_listed"],
            "docs": doc_stats["files"],
            "heldout": len(rows), "heldout_pt": sum(r["lang"] == "pt" for r in rows),
            "heldout_en": sum(r["lang"] == "en" for r in rows),
            "pii_items": len(unique),
        },
        "noise": {"whatsapp": noise_counts(p.chat for p in wa),
                  # Slack drops deleted messages without a trace, so they are no noise there.
                  "slack": noise_counts([*(p.chat for p in sl), *reposted],
                                        skip=("deleted", "agent_deleted"))},
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def prepare(out: Path) -> None:
    """Empty the output folder, but only one that holds a sample domain or nothing."""
    if not out.exists():
        return
    if any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise SystemExit(f"{out} is not empty and holds no sample domain; refusing to clear it")
    shutil.rmtree(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write (default: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    prepare(args.out)
    manifest = generate(args.out)
    print(json.dumps(manifest["counts"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
