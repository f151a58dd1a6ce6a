"""The fact tables of the two evaluation domains that ``make_domains.py`` writes.

Both companies are FICTIONAL; every name, number, address and sentence was written for afina.

A fact is one row: its id, its topic, the values a correct answer must contain, and per
language the answer templates, the customer questions the training data asks, and the held-out
questions (worded with other vocabulary, never asked in training). Lists are ``|``-separated
strings so that a fact stays a few lines long. ``answers[0]`` is the held-out reference.
"""

# ruff: noqa: E501  (a table of sentences: a line is one fact's wordings)
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Lang:
    answers: tuple[str, ...]
    asks: tuple[str, ...]
    heldout: tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    id: str
    topic: str
    values: Mapping[str, str]
    en: Lang
    pt: Lang

    def lang(self, code: str) -> Lang:
        return self.en if code == "en" else self.pt

    def render(self, template: str) -> str:
        return template.format(**self.values)

    @property
    def facts(self) -> list[str]:
        return list(self.values.values())


def _lang(answers: str, asks: str, heldout: str = "") -> Lang:
    def split(s: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in s.split("|") if p.strip())

    return Lang(split(answers), split(asks), split(heldout))


def F(fid: str, topic: str, values: dict[str, str], en: tuple[str, ...], pt: tuple[str, ...]):
    return Fact(fid, topic, values, _lang(*en), _lang(*pt))


# --------------------------------------------------------------------------------------------
# clinic: Clínica Vet Aurora, a veterinary clinic in Curitiba (Q/A pairs, ~70% English)
# --------------------------------------------------------------------------------------------

CLINIC_COMPANY = "Clínica Vet Aurora"

CLINIC: tuple[Fact, ...] = (
    F(
        "hours_week",
        "hours",
        {"open": "8:00", "close": "19:00"},
        (
            "We are open Monday to Friday from {open} to {close}.|"
            "On weekdays our doors are open from {open} until {close}.",
            "What are your opening hours during the week?|When are you open on weekdays?|"
            "what time do you open monday to friday?|until what time are you open on a tuesday?|"
            "Weekday hours please",
            "At what hour does the clinic start and stop seeing patients Monday through Friday?",
        ),
        (
            "Abrimos de segunda a sexta, das {open} às {close}.|"
            "De segunda a sexta o horário é das {open} às {close}.",
            "qual o horário de vocês durante a semana?|vcs abrem que horas de segunda a sexta?",
            "Em dias úteis, a clínica atende a partir de que hora e até quando?",
        ),
    ),
    F(
        "hours_sat",
        "hours",
        {"open": "9:00", "close": "13:00"},
        (
            "On Saturdays we are open from {open} to {close}.|Saturday hours are {open} to {close}.",
            "What time do you open on Saturday?|Are you open on Saturdays?|"
            "saturday opening hours?|How late are you open on Saturday?|can I come in on a saturday?",
            "If I want to drop by at the weekend, which hours can I find you on the sixth day?",
        ),
        (
            "Aos sábados atendemos das {open} às {close}.|No sábado abrimos das {open} às {close}.",
            "vcs abrem sábado?|qual o horário de sábado?",
            "Em que horário posso levar meu cachorro no fim de semana, no sábado?",
        ),
    ),
    F(
        "sunday",
        "hours",
        {"closed": "closed on Sundays", "er": "emergency line"},
        (
            "We are closed on Sundays; for urgent cases call our emergency line.|"
            "The clinic is closed on Sundays, but the emergency line answers all day.",
            "Are you open on Sunday?|do you work sundays?|Is the clinic open on Sundays?|"
            "can I bring my dog on a sunday?",
            "Does the practice see animals on the Lord's day or is it shut?",
        ),
        (
            "Aos domingos ficamos fechados; para urgências ligue para a emergency line.|"
            "Domingo a clínica fica fechada, mas a emergency line atende o dia todo.",
            "vcs abrem domingo?|domingo tem atendimento?",
            "",
        ),
    ),
    F(
        "address",
        "contact",
        {"street": "Rua das Araucárias, 412", "district": "Batel"},
        (
            "We are at {street}, in the {district} district of Curitiba.|"
            "Our address is {street}, {district}, Curitiba.",
            "Where are you located?|What is your address?|where is the clinic?|"
            "whats the address of the clinic|How do I find you?",
            "In which street and neighbourhood should I look for your building?",
        ),
        (
            "Ficamos na {street}, no bairro {district}, em Curitiba.|"
            "Nosso endereço é {street}, {district}, Curitiba.",
            "qual o endereço de vcs?|onde fica a clínica?",
            "Em que rua e bairro eu encontro o prédio de vocês?",
        ),
    ),
    F(
        "phone",
        "contact",
        {"phone": "(41) 3022-5180"},
        (
            "You can call us at {phone}.|Our phone number is {phone}.",
            "What is your phone number?|How can I call you?|phone number please|"
            "what number do I call to book?|Do you have a landline?",
            "Which digits do I dial to speak to someone at the front desk?",
        ),
        (
            "Pode ligar para {phone}.|Nosso telefone é {phone}.",
            "qual o telefone de vcs?|tem um número pra ligar?",
            "Para falar com a recepção, para qual número eu disco?",
        ),
    ),
    F(
        "whatsapp",
        "contact",
        {"wa": "(41) 99817-2044"},
        (
            "Our WhatsApp number is {wa}, answered during opening hours.|"
            "You can message us on WhatsApp at {wa}.",
            "Do you have WhatsApp?|What's your WhatsApp number?|can I text you on whatsapp?|"
            "Is there a number I can message?",
            "Is there a chat app contact where I can send you messages instead of calling?",
        ),
        (
            "Nosso WhatsApp é {wa}, respondido no horário de atendimento.|"
            "Pode mandar mensagem no WhatsApp {wa}.",
            "vcs tem whatsapp?|qual o zap de vcs?",
            "",
        ),
    ),
    F(
        "email",
        "contact",
        {"email": "contato@vetaurora.com.br"},
        (
            "Our email address is {email}.|You can write to us at {email}.",
            "What is your email?|Can I email you?|email address for the clinic?|"
            "where do I send an email?",
            "To which electronic mailbox should I send my pet's documents?",
        ),
        (
            "Nosso e-mail é {email}.|Pode escrever para {email}.",
            "qual o email de vcs?|tem e-mail pra contato?",
            "",
        ),
    ),
    F(
        "consult_price",
        "prices",
        {"price": "R$ 180"},
        (
            "A standard consultation costs {price}.|The regular consultation is {price}.",
            "How much is a consultation?|What do you charge for a vet visit?|"
            "price of a regular appointment?|how much does a checkup cost?|"
            "What's the fee for seeing a vet?",
            "What will I be billed for an ordinary examination of my cat by one of your doctors?",
        ),
        (
            "A consulta comum custa {price}.|O valor da consulta padrão é {price}.",
            "quanto custa a consulta?|qual o valor da consulta com o veterinário?",
            "Qual é o preço de um atendimento de rotina com o médico veterinário?",
        ),
    ),
    F(
        "emergency_price",
        "prices",
        {"price": "R$ 320"},
        (
            "An emergency consultation costs {price}.|Emergency visits are {price}.",
            "How much is an emergency visit?|What do you charge for emergencies?|"
            "price of an urgent consultation?|how much for an emergency appointment at night?",
            "If my pet needs urgent care outside a booked slot, how much is that?",
        ),
        (
            "A consulta de emergência custa {price}.|O atendimento de urgência sai por {price}.",
            "quanto custa uma emergência?|qual o valor da consulta de urgência?",
            "Se meu animal precisar de socorro imediato, quanto vou pagar?",
        ),
    ),
    F(
        "emergency_line",
        "contact",
        {"phone": "(41) 99600-9110", "hours": "24 hours"},
        (
            "Our emergency line {phone} answers {hours} a day, every day.|"
            "For emergencies call {phone}; it works {hours} a day.",
            "Do you have an emergency number?|Who do I call at night if my dog is sick?|"
            "Is there a 24 hour line?|emergency phone number?|what if my cat gets sick at 3am?",
            "In the middle of the night, which contact picks up when an animal is in danger?",
        ),
        (
            "Nossa linha de emergência {phone} atende {hours} por dia, todos os dias.|"
            "Para emergências ligue {phone}; funciona {hours} por dia.",
            "tem telefone de emergência?|de madrugada pra quem eu ligo?",
            "Se meu bicho passar mal de madrugada, qual contato atende?",
        ),
    ),
    F(
        "vaccine_v10",
        "vaccines",
        {"name": "V10", "price": "R$ 95"},
        (
            "The {name} vaccine for dogs costs {price} per dose.|"
            "Each dose of the dog {name} vaccine is {price}.",
            "How much is the V10 vaccine?|price of the dog multiple vaccine?|"
            "what does the V10 shot cost?|How much do you charge for the V10?|"
            "How much is the V10 for a dog?",
            "What is the cost of one dose of the ten-disease canine immunisation?",
        ),
        (
            "A vacina {name} para cães custa {price} por dose.|Cada dose da {name} sai por {price}.",
            "quanto custa a V10?|qual o preço da vacina V10 pra cachorro?",
            "Quanto pago por uma dose da vacina polivalente canina?",
        ),
    ),
    F(
        "vaccine_rabies",
        "vaccines",
        {"name": "rabies", "price": "R$ 70"},
        (
            "The {name} vaccine costs {price} for dogs and cats.|"
            "A {name} shot is {price}, for dogs or cats.",
            "How much is the rabies vaccine?|rabies shot price?|"
            "what do you charge for the anti-rabies vaccine?|How much is the rabies jab for a cat?",
            "What would I spend to protect my kitten against rabies?",
        ),
        (
            "A vacina antirrábica (rabies) custa {price} para cães e gatos.|"
            "A dose contra raiva (rabies) sai por {price}.",
            "quanto custa a antirrábica?|valor da vacina de raiva?",
            "",
        ),
    ),
    F(
        "puppy_schedule",
        "vaccines",
        {"first": "6 weeks", "doses": "3 doses", "gap": "21 days"},
        (
            "Puppies start at {first} and get {doses}, {gap} apart.|"
            "The puppy series begins at {first}: {doses} with {gap} between them.",
            "When should my puppy get vaccinated?|How many vaccine doses does a puppy need?|"
            "what is the vaccination schedule for puppies?|at what age does a puppy get its first shot?|"
            "How far apart are the puppy vaccines?",
            "My dog was just born a few weeks ago; how does the immunisation plan work for him?",
        ),
        (
            "Filhotes começam com {first} e tomam {doses}, com {gap} de intervalo.|"
            "O protocolo de filhote começa com {first}: {doses}, a cada {gap}.",
            "quando meu filhote deve vacinar?|quantas doses o filhote toma?",
            "Como funciona o calendário de imunização para um cachorrinho recém-nascido?",
        ),
    ),
    F(
        "booster",
        "vaccines",
        {"every": "once a year"},
        (
            "Adult dogs and cats need a booster {every}.|Boosters are given {every} for adult pets.",
            "How often does my adult dog need a booster?|do adult cats need yearly vaccines?|"
            "how often should I revaccinate?|When is the booster due?",
            "After the first series, how frequently must a grown pet be re-immunised?",
        ),
        (
            "Cães e gatos adultos tomam reforço {every} (once a year).|"
            "O reforço é {every} (once a year) para adultos.",
            "de quanto em quanto tempo é o reforço?|cachorro adulto vacina todo ano?",
            "",
        ),
    ),
    F(
        "castration_cat",
        "surgery",
        {"price": "R$ 450"},
        (
            "Neutering a cat costs {price}, anaesthesia included.|"
            "Cat castration is {price} with anaesthesia.",
            "How much is it to neuter a cat?|cat castration price?|"
            "What do you charge to spay my female cat?|how much to castrate a cat?",
            "What is the total bill for sterilising a feline, with sedation?",
        ),
        (
            "A castração de gato custa {price}, com anestesia.|"
            "Castrar gato sai por {price}, anestesia incluída.",
            "quanto custa castrar gato?|valor da castração de gata?",
            "Quanto fica a esterilização de uma gatinha, com a anestesia?",
        ),
    ),
    F(
        "castration_dog",
        "surgery",
        {"price": "R$ 780", "weight": "15 kg"},
        (
            "Neutering a dog up to {weight} costs {price}.|"
            "Dog castration is {price} for dogs up to {weight}.",
            "How much is it to neuter a dog?|dog castration price?|"
            "what does spaying a female dog cost?|price to castrate my small dog?",
            "How much is the sterilisation operation for a bitch of about ten kilos?",
        ),
        (
            "A castração de cães até {weight} custa {price}.|"
            "Castrar cachorro de até {weight} sai por {price}.",
            "quanto custa castrar cachorro?|valor da castração de cadela?",
            "Qual é o custo para esterilizar uma cadela pequena de uns dez quilos?",
        ),
    ),
    F(
        "fasting",
        "surgery",
        {"food": "12 hours", "water": "4 hours"},
        (
            "Before surgery your pet must fast from food for {food} and from water for {water}.|"
            "No food for {food} and no water for {water} before the operation.",
            "Does my dog need to fast before surgery?|how long without food before the castration?|"
            "Can my cat drink water before the operation?|fasting rules for surgery?",
            "Ahead of the procedure, for how long should I keep meals and drinks away from my pet?",
        ),
        (
            "Antes da cirurgia o jejum é de {food} de comida e {water} de água.|"
            "Jejum de {food} para comida e {water} para água antes da operação.",
            "precisa de jejum pra cirurgia?|quanto tempo sem comer antes da castração?",
            "Quantas horas o animal deve ficar sem comer e sem beber antes de operar?",
        ),
    ),
    F(
        "dental_cleaning",
        "services",
        {"price": "R$ 390"},
        (
            "A dental cleaning under anaesthesia costs {price}.|Teeth cleaning is {price}.",
            "Do you clean dogs' teeth?|How much is a dental cleaning?|"
            "price for tartar removal?|can you clean my cat's teeth and how much?",
            "What do you charge to scrape the plaque off my dog's teeth?",
        ),
        (
            "A limpeza de tártaro com anestesia custa {price}.|A limpeza dentária sai por {price}.",
            "quanto custa limpeza de tártaro?|vcs fazem limpeza de dente de cachorro?",
            "Quanto vocês cobram para tirar a placa dos dentes do meu gato?",
        ),
    ),
    F(
        "grooming",
        "services",
        {"bath": "R$ 60", "groom": "R$ 110"},
        (
            "A bath costs {bath} and a bath with grooming costs {groom}.|"
            "Bath only is {bath}; bath and grooming is {groom}.",
            "Do you do grooming?|How much is a bath for my dog?|bath and grooming prices?|"
            "what does a haircut for my poodle cost?|price of a dog bath?",
            "What are the rates for washing and trimming my pet's fur?",
        ),
        (
            "O banho custa {bath} e banho com tosa custa {groom}.|"
            "Só banho é {bath}; banho e tosa é {groom}.",
            "quanto é o banho e tosa?|vcs dão banho em cachorro?",
            "Qual o preço para lavar e aparar o pelo do meu cachorro?",
        ),
    ),
    F(
        "microchip",
        "services",
        {"price": "R$ 120"},
        (
            "Microchipping costs {price}, registration included.|A microchip is {price}.",
            "Do you microchip pets?|How much is a microchip?|microchip price for a cat?|"
            "can you put an id chip in my dog?",
            "What is the cost of implanting an electronic identifier under the skin?",
        ),
        (
            "A microchipagem custa {price}, com cadastro.|O microchip sai por {price}.",
            "vcs colocam microchip?|quanto custa o chip?",
            "",
        ),
    ),
    F(
        "exotic",
        "services",
        {"species": "rabbits, birds and reptiles", "day": "Thursdays"},
        (
            "We see {species} on {day}.|Exotic pets ({species}) are seen on {day}.",
            "Do you treat rabbits?|do you see birds or reptiles?|can I bring my parrot?|"
            "Do you have a vet for exotic animals?|what day do you see exotic pets?",
            "My son keeps a tortoise: which day of the week can your team examine it?",
        ),
        (
            "Atendemos coelhos, aves e répteis ({species}) às quintas ({day}).|"
            "Pets exóticos ({species}) são atendidos às quintas ({day}).",
            "vcs atendem coelho?|tem veterinário de aves?",
            "",
        ),
    ),
    F(
        "xray",
        "services",
        {"price": "R$ 220", "time": "same day"},
        (
            "An X-ray costs {price} and results come the {time}.|"
            "X-rays are {price}, with results the {time}.",
            "Do you do x-rays?|How much is an x-ray?|how long do x-ray results take?|"
            "radiography price?",
            "What does a radiograph of my dog's leg cost and when will I see the images?",
        ),
        (
            "O raio-X custa {price} e o resultado sai no mesmo dia ({time}).|"
            "Raio-X sai por {price}, com resultado no mesmo dia ({time}).",
            "quanto custa raio x?|vcs fazem raio-x?",
            "Qual o preço de uma radiografia e em quanto tempo sai o laudo?",
        ),
    ),
    F(
        "ultrasound",
        "services",
        {"price": "R$ 260"},
        (
            "An abdominal ultrasound costs {price}.|Ultrasound exams are {price}.",
            "Do you do ultrasound?|how much is an ultrasound for a dog?|"
            "price of an abdominal ultrasound?|can you scan my pregnant cat?",
            "What will an echography of my pet's belly cost?",
        ),
        (
            "O ultrassom abdominal custa {price}.|O exame de ultrassom sai por {price}.",
            "quanto custa ultrassom?|vcs fazem ultrassom em gato?",
            "Qual é o preço da ecografia da barriga do meu animal?",
        ),
    ),
    F(
        "blood_test",
        "services",
        {"price": "R$ 140", "time": "24 hours"},
        (
            "A complete blood count costs {price}, with results in {time}.|"
            "Blood tests are {price} and take {time}.",
            "How much is a blood test?|do you do blood work?|"
            "how long until blood test results?|price of a blood count for my cat?",
            "What are the fee and the waiting time for a hemogram?",
        ),
        (
            "O hemograma custa {price} e o resultado sai em {time}.|"
            "Exame de sangue sai por {price}, com resultado em {time}.",
            "quanto custa exame de sangue?|demora quanto o hemograma?",
            "",
        ),
    ),
    F(
        "hospital_night",
        "services",
        {"price": "R$ 350"},
        (
            "Hospitalisation costs {price} per night, with a vet on duty.|"
            "One night in our hospital is {price}.",
            "Can my dog stay overnight?|how much is hospitalisation per night?|"
            "do you keep animals overnight?|price for a night at the vet?",
            "If my pet must be kept under observation until morning, what is the nightly rate?",
        ),
        (
            "A internação custa {price} por noite, com veterinário de plantão.|"
            "Uma noite de internação sai por {price}.",
            "quanto custa a internação?|o cachorro pode ficar internado?",
            "Se meu gato precisar passar a noite em observação, qual a diária?",
        ),
    ),
    F(
        "payment",
        "payment",
        {"methods": "cash, Pix, debit and credit cards"},
        (
            "We accept {methods}.|You can pay with {methods}.",
            "What payment methods do you accept?|can I pay by card?|do you take Pix?|"
            "Do you accept credit cards?|can I pay cash?",
            "Which ways of settling the bill are available at the counter?",
        ),
        (
            "Aceitamos dinheiro, Pix e cartões ({methods}).|"
            "Pode pagar com dinheiro, Pix ou cartão ({methods}).",
            "quais formas de pagamento vcs aceitam?|aceita pix?",
            "",
        ),
    ),
    F(
        "installments",
        "payment",
        {"n": "3 installments", "min": "R$ 300"},
        (
            "Bills over {min} can be split into {n} on a credit card with no interest.|"
            "Above {min} you can pay in {n} without interest.",
            "Can I pay in installments?|do you split payments?|"
            "can I pay the surgery in parts?|interest free installments?",
            "Is it possible to divide a large invoice across several months?",
        ),
        (
            "Contas acima de {min} podem ser divididas em 3 vezes (3 installments) sem juros.|"
            "Acima de {min} dá para parcelar em 3 vezes (3 installments) sem juros.",
            "dá pra parcelar?|parcela no cartão?",
            "Consigo dividir o valor da cirurgia em várias vezes?",
        ),
    ),
    F(
        "pet_plan",
        "plans",
        {"name": "Aurora Care", "price": "R$ 89"},
        (
            "Our health plan {name} costs {price} per month and covers consultations and vaccines.|"
            "{name} is {price} a month, with consultations and vaccines included.",
            "Do you have a pet health plan?|how much is the monthly plan?|"
            "Is there a subscription for checkups?|What does Aurora Care cost?|"
            "monthly membership price?",
            "Do you sell a recurring package that includes visits and shots, and at what price?",
        ),
        (
            "Nosso plano {name} custa {price} por mês e cobre consultas e vacinas.|"
            "O {name} sai por {price} ao mês, com consultas e vacinas.",
            "vcs tem plano de saúde pet?|quanto custa o plano mensal?",
            "Existe uma assinatura mensal que inclua consultas e vacinas? Quanto é?",
        ),
    ),
    F(
        "booking",
        "appointments",
        {"how": "WhatsApp or phone", "advance": "48 hours"},
        (
            "You can book by {how}; we recommend booking {advance} ahead.|"
            "Appointments are booked by {how}, ideally {advance} in advance.",
            "How do I book an appointment?|can I schedule a visit?|"
            "how far in advance should I book?|do I need an appointment?|how to make a booking?",
            "What is the procedure to reserve a slot with a vet, and how early should I do it?",
        ),
        (
            "Agende pelo WhatsApp ou telefone ({how}), de preferência com {advance} de "
            "antecedência (48 horas).|"
            "O agendamento é por {how}, com {advance} de antecedência (48 horas).",
            "como marco consulta?|precisa agendar?",
            "Qual o procedimento para reservar um horário com o veterinário?",
        ),
    ),
    F(
        "cancel_policy",
        "appointments",
        {"notice": "24 hours", "fee": "R$ 50"},
        (
            "Please cancel at least {notice} ahead; late cancellations cost {fee}.|"
            "Cancelling with less than {notice} notice has a {fee} fee.",
            "What is your cancellation policy?|can I cancel my appointment?|"
            "is there a fee if I cancel?|what if I miss my appointment?",
            "If I need to call off my booking, how much warning do you need and is there a charge?",
        ),
        (
            "Cancele com pelo menos {notice} de antecedência (24 horas); cancelamento tardio custa "
            "{fee}.|Cancelar com menos de {notice} (24 horas) tem taxa de {fee}.",
            "posso cancelar a consulta?|tem multa se eu cancelar?",
            "Se eu desmarcar em cima da hora, pago alguma taxa?",
        ),
    ),
    F(
        "late_arrival",
        "appointments",
        {"grace": "15 minutes"},
        (
            "We wait up to {grace}; after that the visit is rescheduled.|"
            "There is a {grace} tolerance for late arrivals.",
            "What if I'm late?|how long do you wait if I arrive late?|"
            "will you still see me if I'm 10 minutes late?|late arrival policy?",
            "Traffic is bad; how much delay will the reception accept before my slot is lost?",
        ),
        (
            "Esperamos até {grace} (15 minutos); depois disso a consulta é remarcada.|"
            "A tolerância de atraso é de {grace} (15 minutos).",
            "e se eu atrasar?|qual a tolerância de atraso?",
            "",
        ),
    ),
    F(
        "parking",
        "contact",
        {"spots": "8 free parking spots"},
        (
            "We have {spots} in front of the clinic.|There are {spots} at the entrance.",
            "Is there parking?|where can I park?|do you have a car park?|is parking free?",
            "Will I find somewhere to leave my car when I visit?",
        ),
        (
            "Temos 8 vagas grátis ({spots}) em frente à clínica.|"
            "Há 8 vagas gratuitas ({spots}) na entrada.",
            "tem estacionamento?|onde eu paro o carro?",
            "",
        ),
    ),
    F(
        "vets",
        "team",
        {"head": "Dr. Helena Vasconcelos", "n": "five veterinarians"},
        (
            "Our team has {n}, led by {head}.|{head} leads our team of {n}.",
            "Who are the vets?|how many vets work there?|who is the head veterinarian?|"
            "who runs the clinic?",
            "Who is in charge of the medical staff and how big is it?",
        ),
        (
            "Nossa equipe tem cinco veterinários ({n}), liderada pela {head}.|"
            "A {head} coordena a equipe de cinco veterinários ({n}).",
            "quem é o veterinário responsável?|quantos veterinários tem aí?",
            "",
        ),
    ),
    F(
        "cat_friendly",
        "services",
        {"room": "separate waiting room for cats"},
        (
            "We have a {room}, away from the dogs.|Cats wait in a {room}.",
            "Is there a separate area for cats?|my cat gets stressed with dogs, what can I do?|"
            "do cats wait with dogs?|cat-friendly clinic?",
            "Will my shy feline have to sit next to barking dogs in the lobby?",
        ),
        (
            "Temos sala de espera só para gatos ({room}).|Gatos esperam em sala separada ({room}).",
            "tem sala separada pra gato?|gato espera junto com cachorro?",
            "",
        ),
    ),
    F(
        "home_visit",
        "services",
        {"price": "R$ 280", "radius": "10 km"},
        (
            "Home visits cost {price} within {radius} of the clinic.|"
            "We visit homes up to {radius} away, for {price}.",
            "Do you do home visits?|can the vet come to my house?|"
            "how much is a house call?|do you visit at home?",
            "My elderly dog cannot travel; can a doctor come to us and what does it cost?",
        ),
        (
            "A consulta domiciliar custa {price} num raio de {radius}.|"
            "Atendemos em casa até {radius} da clínica, por {price}.",
            "vcs atendem em casa?|quanto custa consulta domiciliar?",
            "O veterinário pode vir até minha casa? Quanto fica?",
        ),
    ),
    F(
        "pharmacy",
        "services",
        {"discount": "10%"},
        (
            "Our in-house pharmacy gives patients {discount} off prescribed medicines.|"
            "Patients get {discount} discount on medicines at our pharmacy.",
            "Do you sell medicines?|is there a pharmacy at the clinic?|"
            "do I get a discount on medication?|can I buy the prescribed meds there?",
            "Can I fill my pet's prescription on site, and is it cheaper for clients?",
        ),
        (
            "Nossa farmácia dá {discount} de desconto nos remédios receitados.|"
            "Pacientes têm {discount} de desconto na farmácia.",
            "vcs vendem remédio?|tem desconto na farmácia?",
            "",
        ),
    ),
    F(
        "records",
        "policies",
        {"days": "2 business days"},
        (
            "We send a copy of your pet's records by email within {days}.|"
            "Medical records are emailed within {days} of the request.",
            "Can I get my pet's medical records?|how do I get a copy of the records?|"
            "can you send the vaccination history?|how long to get records?",
            "I am moving to another city; how soon can you forward my animal's file?",
        ),
        (
            "Enviamos o prontuário por e-mail em até 2 dias úteis ({days}).|"
            "O histórico do animal é enviado em 2 dias úteis ({days}).",
            "posso pegar o prontuário?|vcs mandam a carteira de vacina?",
            "",
        ),
    ),
    F(
        "languages",
        "team",
        {"langs": "Portuguese, English and Spanish"},
        (
            "Our staff speak {langs}.|You can be seen in {langs}.",
            "Do you speak English?|does the vet speak english?|can I be seen in Spanish?|"
            "what languages do you speak?",
            "I am a foreigner: will the staff understand me if I do not speak the local tongue?",
        ),
        (
            "Atendemos em português, inglês e espanhol ({langs}).|"
            "A equipe fala português, inglês e espanhol ({langs}).",
            "vcs falam inglês?|o veterinário fala espanhol?",
            "",
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# bakery: Padaria Sol de Minas, bakery and catering (support chats, mostly English)
# --------------------------------------------------------------------------------------------

BAKERY_COMPANY = "Padaria Sol de Minas"

BAKERY: tuple[Fact, ...] = (
    F(
        "hours",
        "store",
        {"open": "6:30", "close": "20:00"},
        (
            "We open every day from {open} to {close}.|Our hours are {open} to {close}, daily.",
            "what time do you open?|when do you close today?|are you open early in the morning?|"
            "opening hours?|how late are you open?",
            "From what hour until what hour can I buy bread at your shop?",
        ),
        (
            "Abrimos todos os dias das {open} às {close}.|Funcionamos das {open} às {close}.",
            "que horas vcs abrem?|até que horas fica aberto?",
            "De que horas a que horas posso comprar pão aí?",
        ),
    ),
    F(
        "address",
        "store",
        {"street": "Avenida Afonso Pena, 1880", "city": "Belo Horizonte"},
        (
            "Our shop is at {street}, {city}.|You'll find us at {street} in {city}.",
            "where is the bakery?|what's your address?|where are you located?|how do I get there?",
            "In which avenue is your shop, and in which town?",
        ),
        (
            "Estamos na {street}, {city}.|Nosso endereço é {street}, {city}.",
            "onde fica a padaria?|qual o endereço?",
            "Em qual avenida e cidade fica a loja de vocês?",
        ),
    ),
    F(
        "phone",
        "store",
        {"phone": "(31) 3241-7788"},
        (
            "Call us at {phone}.|Our phone is {phone}.",
            "what's your phone number?|how can I call you?|number for orders?|can I phone in?",
            "Which telephone should I ring to talk to the shop?",
        ),
        (
            "Ligue para {phone}.|Nosso telefone é {phone}.",
            "qual o telefone?|tem número pra ligar?",
            "Para qual número eu disco para falar com a loja?",
        ),
    ),
    F(
        "pao_de_queijo",
        "menu",
        {"price": "R$ 4,50", "unit": "each"},
        (
            "Our pão de queijo costs {price} {unit}.|Pão de queijo is {price} {unit}.",
            "how much is the pão de queijo?|cheese bread price?|what do cheese rolls cost?|"
            "how much for one pao de queijo?",
            "What does a single Minas cheese roll cost at your counter?",
        ),
        (
            "O pão de queijo custa {price} cada ({unit}).|Cada pão de queijo sai {price} ({unit}).",
            "quanto é o pão de queijo?|qual o preço do pão de queijo?",
            "Qual o valor de uma unidade do pão de queijo mineiro?",
        ),
    ),
    F(
        "sourdough",
        "menu",
        {"price": "R$ 28", "days": "Tuesdays and Fridays"},
        (
            "Our sourdough loaf costs {price} and is baked on {days}.|"
            "Sourdough is {price}, fresh on {days}.",
            "do you have sourdough?|how much is the sourdough bread?|"
            "which days do you bake sourdough?|price of a sourdough loaf?",
            "When is the naturally leavened loaf fresh out of the oven, and what is its price?",
        ),
        (
            "O pão de fermentação natural (sourdough) custa {price} e sai às terças e sextas "
            "({days}).|O sourdough custa {price}, fresquinho às terças e sextas ({days}).",
            "vcs tem pão de fermentação natural?|qual dia tem sourdough?",
            "Em que dias sai o pão de fermentação natural do forno, e quanto custa?",
        ),
    ),
    F(
        "cake_order",
        "cakes",
        {"advance": "72 hours", "min": "1 kg"},
        (
            "Custom cakes need {advance} notice, with a minimum of {min}.|"
            "Order custom cakes {advance} ahead; the smallest is {min}.",
            "can I order a custom cake?|how early do I need to order a birthday cake?|"
            "minimum size for a cake order?|how much notice for a cake?|do you make cakes to order?",
            "For a personalised celebration cake, how many days before should I ask, and how small "
            "can it be?",
        ),
        (
            "Bolos personalizados pedem {advance} (72 horas) de antecedência, mínimo de {min}.|"
            "Encomende com {advance} (72 horas); o menor bolo é de {min}.",
            "como encomendar bolo?|com quanto tempo de antecedência peço o bolo?",
            "Quantos dias antes devo pedir um bolo de aniversário personalizado?",
        ),
    ),
    F(
        "cake_price",
        "cakes",
        {"price": "R$ 95", "unit": "per kg"},
        (
            "Custom cakes cost {price} {unit}.|Our cakes are {price} {unit}.",
            "how much is a birthday cake?|cake price per kilo?|what do your cakes cost?|"
            "how much for a 2 kg cake?",
            "What is the rate per kilogram for a decorated celebration cake?",
        ),
        (
            "Bolos personalizados custam {price} o quilo ({unit}).|O bolo sai {price} o kg ({unit}).",
            "quanto custa o kg do bolo?|preço do bolo de aniversário?",
            "Qual o valor do quilo de um bolo decorado para festa?",
        ),
    ),
    F(
        "delivery_area",
        "delivery",
        {"area": "Belo Horizonte and Contagem", "fee": "R$ 12"},
        (
            "We deliver in {area} for a fee of {fee}.|Delivery to {area} costs {fee}.",
            "do you deliver?|how much is delivery?|do you deliver to Contagem?|"
            "delivery fee?|can you bring my order home?",
            "Can you send my order to my flat, and what's the charge for it?",
        ),
        (
            "Entregamos em {area} com taxa de {fee}.|A entrega em {area} custa {fee}.",
            "vcs entregam?|qual a taxa de entrega?",
            "Vocês levam o pedido até minha casa? Quanto cobram?",
        ),
    ),
    F(
        "free_delivery",
        "delivery",
        {"min": "R$ 150"},
        (
            "Delivery is free for orders over {min}.|Orders above {min} ship free.",
            "is delivery ever free?|free delivery minimum?|do I pay delivery on big orders?|"
            "when is shipping free?",
            "Above what order value do you waive the shipping charge?",
        ),
        (
            "A entrega é grátis em pedidos acima de {min}.|Acima de {min} a entrega é grátis.",
            "tem frete grátis?|a partir de quanto a entrega é grátis?",
            "A partir de que valor de compra vocês não cobram a entrega?",
        ),
    ),
    F(
        "catering",
        "catering",
        {"min": "20 guests", "price": "R$ 65"},
        (
            "Our catering starts at {min}, from {price} per person.|"
            "Catering costs from {price} per guest, for at least {min}.",
            "do you do catering?|how much is catering per person?|"
            "minimum guests for catering?|can you cater my party?|catering prices?",
            "We're throwing a company party: what's the per-head cost and the smallest group you "
            "serve?",
        ),
        (
            "O buffet começa em {min} (20 convidados), a partir de {price} por pessoa.|"
            "Catering a partir de {price} por pessoa, mínimo de {min} (20 convidados).",
            "vcs fazem buffet?|quanto custa o buffet por pessoa?",
            "Qual o valor por convidado do serviço de festa e o número mínimo de pessoas?",
        ),
    ),
    F(
        "coffee_break",
        "catering",
        {"price": "R$ 32", "min": "15 people"},
        (
            "Our coffee break package is {price} per person, for at least {min}.|"
            "Coffee break costs {price} a head, minimum {min}.",
            "do you do coffee breaks for meetings?|coffee break price?|"
            "how much is a coffee break per person?|minimum for a coffee break?",
            "For a morning workshop, what's your snack-and-drinks service per attendee?",
        ),
        (
            "O coffee break custa {price} por pessoa, mínimo de {min} (15 pessoas).|"
            "Coffee break sai {price} por pessoa, para {min} (15 pessoas) ou mais.",
            "quanto custa o coffee break?|vcs fazem coffee break pra empresa?",
            "Para um treinamento de manhã, quanto custa o lanche por participante?",
        ),
    ),
    F(
        "gluten_free",
        "menu",
        {"day": "Wednesdays"},
        (
            "We bake gluten-free bread on {day}, in a separate oven.|"
            "Gluten-free loaves are baked on {day} in their own oven.",
            "do you have gluten free bread?|anything for celiacs?|which day is gluten-free?|"
            "gluten free options?",
            "My daughter is coeliac; when can we find wheat-free loaves at your shop?",
        ),
        (
            "Fazemos pão sem glúten às quartas ({day}), em forno separado.|"
            "O pão sem glúten sai às quartas ({day}), em forno próprio.",
            "tem pão sem glúten?|vcs tem opção pra celíaco?",
            "Minha filha é celíaca; em que dia vocês assam pão sem trigo?",
        ),
    ),
    F(
        "vegan",
        "menu",
        {"items": "vegan brownies and carrot cake"},
        (
            "We always have {items}.|Yes: {items} every day.",
            "any vegan options?|do you have vegan cakes?|dairy free sweets?|something vegan?",
            "Which of your sweets contain no animal products at all?",
        ),
        (
            "Sempre temos brownie vegano e bolo de cenoura ({items}).|"
            "Temos brownie e bolo de cenoura veganos ({items}).",
            "tem opção vegana?|vcs tem doce vegano?",
            "Quais doces de vocês não levam nenhum ingrediente de origem animal?",
        ),
    ),
    F(
        "payment",
        "store",
        {"methods": "Pix, cards and cash"},
        (
            "We accept {methods}.|You can pay with {methods}.",
            "how can I pay?|do you take cards?|can I pay with pix?|payment methods?",
            "Which ways of settling the bill does the counter accept?",
        ),
        (
            "Aceitamos Pix, cartão e dinheiro ({methods}).|Pode pagar com Pix, cartão ou dinheiro "
            "({methods}).",
            "aceita pix?|quais formas de pagamento?",
            "De que maneiras posso acertar a conta no balcão?",
        ),
    ),
    F(
        "order_online",
        "delivery",
        {"site": "soldeminas.com.br/pedidos"},
        (
            "You can order online at {site}.|Orders go through {site}.",
            "can I order online?|do you have a website for orders?|how do I place an order?|"
            "is there an app?",
            "Is there a web page where I can put my purchase together myself?",
        ),
        (
            "Faça seu pedido em {site}.|Os pedidos são feitos em {site}.",
            "dá pra pedir pela internet?|vcs tem site?",
            "Existe uma página na internet onde eu mesmo monto minha compra?",
        ),
    ),
    F(
        "breakfast",
        "menu",
        {"price": "R$ 38", "until": "10:30"},
        (
            "Our breakfast combo is {price} and is served until {until}.|"
            "Breakfast costs {price}, served until {until}.",
            "do you serve breakfast?|how much is breakfast?|until when is breakfast?|"
            "breakfast combo price?",
            "What's the price of the morning meal set and what's the last hour to get it?",
        ),
        (
            "O café da manhã custa {price} e é servido até {until}.|"
            "Café da manhã por {price}, até {until}.",
            "vcs servem café da manhã?|até que horas tem café da manhã?",
            "Quanto custa o combo matinal e até que horas ele é servido?",
        ),
    ),
    F(
        "cancel_cake",
        "cakes",
        {"notice": "48 hours", "refund": "full refund"},
        (
            "Cake orders cancelled {notice} ahead get a {refund}.|"
            "Cancel at least {notice} before for a {refund}.",
            "can I cancel my cake order?|do I get my money back if I cancel?|"
            "cake cancellation policy?|what if I need to cancel the cake?",
            "Our party was called off: will I be reimbursed for the cake I ordered?",
        ),
        (
            "Cancelamentos com {notice} (48 horas) de antecedência têm reembolso total "
            "({refund}).|Cancele com {notice} (48 horas) e receba reembolso total ({refund}).",
            "posso cancelar a encomenda do bolo?|tem reembolso?",
            "A festa foi cancelada: recebo de volta o valor do bolo encomendado?",
        ),
    ),
    F(
        "allergens",
        "menu",
        {"nuts": "may contain nuts"},
        (
            "All our products {nuts}; we label every item.|Every item is labelled and {nuts}.",
            "do your products have nuts?|allergy information?|I'm allergic to peanuts, is it safe?|"
            "are allergens labelled?",
            "My son reacts badly to peanuts and almonds; is your food safe for him?",
        ),
        (
            "Todos os produtos podem conter castanhas ({nuts}); tudo é rotulado.|"
            "Tudo é rotulado e pode conter castanhas ({nuts}).",
            "tem castanha nos produtos?|tem informação de alérgenos?",
            "Meu filho tem alergia a amendoim e amêndoa; a comida de vocês é segura para ele?",
        ),
    ),
    F(
        "wifi",
        "store",
        {"wifi": "free Wi-Fi", "seats": "30 seats"},
        (
            "We have {wifi} and {seats} in the café.|The café has {seats} and {wifi}.",
            "do you have wifi?|can I work from the café?|how many seats do you have?|"
            "is there seating inside?",
            "Could I sit down with my laptop for a while, and can I get online there?",
        ),
        (
            "Temos Wi-Fi grátis ({wifi}) e 30 lugares ({seats}).|"
            "O café tem 30 lugares ({seats}) e Wi-Fi grátis ({wifi}).",
            "tem wifi?|dá pra sentar e comer aí?",
            "Posso ficar um tempo com o notebook aí, e tem internet?",
        ),
    ),
    F(
        "loyalty",
        "store",
        {"stamps": "10 stamps", "reward": "a free coffee"},
        (
            "Collect {stamps} on our card and get {reward}.|"
            "Our loyalty card gives {reward} after {stamps}.",
            "do you have a loyalty card?|any rewards program?|how does the stamp card work?|"
            "do I get free coffee?",
            "Is there some scheme that rewards regular customers?",
        ),
        (
            "Junte 10 carimbos ({stamps}) e ganhe um café grátis ({reward}).|"
            "O cartão fidelidade dá um café grátis ({reward}) com 10 carimbos ({stamps}).",
            "tem cartão fidelidade?|como funciona o cartão de carimbos?",
            "Vocês têm algum programa que premia cliente frequente?",
        ),
    ),
    F(
        "panettone",
        "seasonal",
        {"price": "R$ 59", "from": "November"},
        (
            "Our panettone costs {price} and is sold from {from} until Christmas.|"
            "Panettone is available from {from}, for {price}.",
            "do you sell panettone?|how much is the panettone?|when does panettone season start?|"
            "christmas panettone price?",
            "When do the Christmas sweet breads appear in your shop, and what do they cost?",
        ),
        (
            "O panetone custa {price} e é vendido de novembro ({from}) até o Natal.|"
            "Panetone a partir de novembro ({from}), por {price}.",
            "quanto custa o panetone?|quando começa o panetone?",
            "Em que mês começa a venda do panetone de Natal e qual o preço?",
        ),
    ),
    F(
        "savory_kit",
        "catering",
        {"n": "100 savory snacks", "price": "R$ 120"},
        (
            "A party kit of {n} costs {price}.|{n} for parties cost {price}.",
            "do you sell party snacks?|how much are 100 salgadinhos?|party kit price?|"
            "snacks for a birthday party?",
            "For a children's party, what does a hundred-piece assortment of finger food cost?",
        ),
        (
            "O kit festa com 100 salgadinhos ({n}) custa {price}.|"
            "Cem salgados ({n}) saem por {price}.",
            "quanto custa o cento de salgado?|vcs vendem salgadinho pra festa?",
            "Quanto fica um kit de cem salgadinhos para aniversário?",
        ),
    ),
    F(
        "pickup",
        "delivery",
        {"time": "2 hours"},
        (
            "Online orders are ready for pickup in {time}.|"
            "Pickup orders are ready {time} after you order.",
            "can I pick up my order?|how long until my order is ready for pickup?|"
            "click and collect?|when can I collect?",
            "If I buy on the website and fetch it myself, how soon can I come?",
        ),
        (
            "Pedidos online ficam prontos para retirada em 2 horas ({time}).|"
            "A retirada fica pronta 2 horas ({time}) após o pedido.",
            "posso retirar na loja?|em quanto tempo fica pronto?",
            "Se eu comprar pelo site e buscar pessoalmente, quando posso passar?",
        ),
    ),
    F(
        "jobs",
        "company",
        {"email": "vagas@soldeminas.com.br"},
        (
            "Send your CV to {email}.|Job applications go to {email}.",
            "are you hiring?|how do I apply for a job?|do you have vacancies?|where do I send my CV?",
            "I'd like to work as a baker with you: where should my résumé go?",
        ),
        (
            "Mande seu currículo para {email}.|Candidaturas vão para {email}.",
            "vcs estão contratando?|onde mando currículo?",
            "Quero trabalhar de padeiro com vocês; para onde envio meu currículo?",
        ),
    ),
    F(
        "founded",
        "company",
        {"year": "1987", "founder": "Dona Aparecida"},
        (
            "We were founded in {year} by {founder}.|{founder} opened the bakery in {year}.",
            "how old is the bakery?|who founded the bakery?|when did you open?|"
            "is this a family business?",
            "What's the story of the shop: since when does it exist, and who started it?",
        ),
        (
            "Fomos fundados em {year} pela {founder}.|A {founder} abriu a padaria em {year}.",
            "desde quando existe a padaria?|quem fundou a padaria?",
            "Qual a história da loja: desde quando existe e quem começou?",
        ),
    ),
    F(
        "corporate",
        "catering",
        {"discount": "15%", "min": "R$ 1.000"},
        (
            "Companies get {discount} off orders above {min}.|"
            "Corporate orders over {min} have a {discount} discount.",
            "do you have corporate discounts?|discount for company orders?|"
            "bulk order discount?|prices for businesses?",
            "Our firm orders a lot every month: is there a reduced rate for us?",
        ),
        (
            "Empresas têm {discount} de desconto em pedidos acima de {min}.|"
            "Pedidos corporativos acima de {min} têm {discount} de desconto.",
            "tem desconto pra empresa?|desconto em pedido grande?",
            "Nossa firma compra muito todo mês; existe um preço reduzido para nós?",
        ),
    ),
)


DOMAINS: dict[str, tuple[str, tuple[Fact, ...]]] = {
    "clinic": (CLINIC_COMPANY, CLINIC),
    "bakery": (BAKERY_COMPANY, BAKERY),
}
