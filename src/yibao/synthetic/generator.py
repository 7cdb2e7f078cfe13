"""The synthetic region generator (模拟数据生成): visits, fee lines and settlements month by month.

For every month and block of persons (a chunk, with its own seeded numpy Generator) the generator draws
outpatient, inpatient, chronic, dialysis and pharmacy visits, their fee lines, the abuse each family's
rate asks for, and settles every visit with the real calculation `yibao.domain.settlement.settle` under
the sample policy in force (carrying each person's year ledger and account from visit to visit). Each
chunk is appended to the output files, so memory stays bounded whatever the size.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from yibao.domain import catalog as catalog_rules
from yibao.domain import settlement as engine
from yibao.domain.monitoring import LIBRARY
from yibao.domain.policy import Policy
from yibao.synthetic.knobs import Knobs
from yibao.synthetic.world import DIABETES, GOODS, HYPERTENSION, UREMIA, Disease, World

CHRONIC_CODES = {1: HYPERTENSION, 2: DIABETES, 3: UREMIA}
# Visits per person-year before `visit_scale`: outpatient pooling, admissions, pharmacy purchases.
OUTPATIENT_RATE = 1.2
INPATIENT_RATE = 0.12
PHARMACY_RATE = 0.8
# Where admissions go (institution kind 0 tertiary, 1 secondary, 2 township centre) by scheme: a county's
# residents are mostly admitted at the county hospitals and township centres, employees more often at the
# tertiary hospitals (县域内住院).
ADMISSION_KINDS = {310: (0.40, 0.45, 0.15), 390: (0.08, 0.44, 0.48)}
# Daily inpatient care by price tier: drug lines a day, units per drug line, share of severe stays
# (重症: the severe-case drugs on the first days) — a stay costs about 3,000 yuan at a township centre,
# 6,000–7,000 at a county hospital and 8,000–9,000 at the county's tertiary hospital.
DAILY_CARE = {
    "1": ((2, 2, 3), (4, 5, 6, 8)),
    "2": ((3, 3, 4), (4, 6, 8, 10)),
    "3": ((3, 3, 4), (5, 6, 8, 10)),
}
SEVERE = {"1": 0.05, "2": 0.2, "3": 0.45}
# Main diagnoses that call for outpatient care or 72 hours' observation before any admission (001 第6篇
# 第17条); the clean model never admits them, a doctor of the low_standard_admission family does.
MILD_PREFIXES = ("J06", "J03", "K29", "H10")
# Stays with two operations of one group through the same incision, the second rightly billed at half price
# (手术项目折价, 第二批 限定主次操作), beside the unbundled_charge family's.
SECOND_OPERATION = 0.02
GROUP_ADMISSIONS = 2.5  # admission rate of the special assistance groups relative to other residents
CHRONIC_MONTHLY = 0.85  # share of registered chronic patients seen each month
ACCOUNT_CREDIT = {"11": 15_000, "12": 12_000}  # fen credited to the personal account per month
ACCOUNT_OPENING = 60_000
# 重复开药 (GZ10000301006000): an outpatient drug bought again at another visit before half its supply is
# used (days since the last purchase × 2 < its days). The clean model never does: a chronic patient's
# monthly visit comes at least REFILL_DAYS after the last one (half of the 30-day supply), and an acute drug
# is not bought again while half of the last supply of it lasts.
CHRONIC_DAYS = 30
Supply = tuple[int, int]  # (ordinal day of the purchase, days supplied)
REFILL_DAYS = CHRONIC_DAYS // 2
UNMAPPED = "医院项目未对照医保目录，不予支付"  # the split of a line without a national code: fully self-paid


@dataclass
class Visit:
    """One visit being generated (就诊), with its lines as item indices and amounts."""

    person: int
    inst: int
    med_type: str
    begin: datetime
    end: datetime
    diagnoses: list[str]
    disease: str | None = None  # chronic disease code (med_type 14)
    dept: str = "A03"
    doctor: str = ""
    ipt_days: int = 0
    procedure: tuple[str, str] | None = None
    lines: list[list[Any]] = field(default_factory=list)  # [item, qty, price, day, prd_days, dscg, name]
    # (family, where, detail): where is a line index (scope line), None (scope visit), or "person" /
    # "doctor" for a label on the visit's person or doctor.
    labels: list[tuple[str, int | str | None, str]] = field(default_factory=list)
    rounds: list[tuple[datetime, int]] = field(default_factory=list)
    checks: list[tuple[datetime, int]] = field(default_factory=list)
    unmapped: set[int] = field(default_factory=set)  # lines uploaded without a national code (未对码)


@dataclass
class Chunk:
    """What one chunk produced: visits (settled) and the extra rows of the event tables."""

    visits: list[Visit]
    breakdowns: list[engine.Breakdown]
    mdtrt_ids: list[str]


class Generator:
    """Draws and settles the visits of a world, chunk by chunk, deterministically for the seed."""

    def __init__(self, world: World, knobs: Knobs, policies: dict[str, list[Policy]]) -> None:
        self.world = world
        self.knobs = knobs
        self.policies = policies  # insutype → versions (sorted by begin)
        persons = world.persons
        # Year ledgers (年度累计) by year, then person (a person has one basic insutype).
        self.ledgers: dict[int, dict[int, dict[str, int]]] = {}
        self.balance = np.where(persons.insutype == 310, ACCOUNT_OPENING, 0).astype(np.int64)
        self.last_discharge = np.full(len(persons), -10_000, dtype=np.int64)  # day number
        self.last_chronic = np.full(len(persons), -10_000, dtype=np.int64)  # ordinal day of the last one
        # Outpatient drug supplies by block of persons: person → drug → [[ordinal day, days supplied]].
        # Flat and immutable (tuples of ints are not tracked by the garbage collector): (person, drug) →
        # ((ordinal day, days supplied), …), by block of persons.
        self.supplies: dict[int, dict[tuple[int, int], tuple[Supply, ...]]] = {}
        self._supplies: dict[tuple[int, int], tuple[Supply, ...]] = {}
        self.catalog = world.catalog
        self.kb = world.catalog.kb
        self.kb_restricted = self.kb.restricted
        self.oral = {int(i) for i in self.catalog.pools.get("oral", ())}
        self.registered = {(r.person, r.item) for r in world.registrations}
        upcoding = next(r for r in LIBRARY if r.rule_type == "upcoding")
        self.mcc_care = [tuple(str(c).split(":", 1)) for c in upcoding.params["care"]]
        self.special_diagnosis = next(
            (d.code for d in world.codes.diseases if d.code.startswith("C16")), world.codes.diseases[0].code
        )
        self._facts: dict[tuple[int, str], engine.CatalogFacts] = {}
        self._refusal: dict[tuple[int, str, int, str, bool, str], str | None] = {}
        items = self.catalog.items
        self.code_index = {item.code: i for i, item in enumerate(items)}
        inst = world.institutions
        self.hospitals_by_kind = {k: np.flatnonzero(inst.kind == k) for k in range(5)}
        self.diseases_opt = [d for d in world.codes.diseases if d.setting in ("opt", "both")]
        self.diseases_ipt = [d for d in world.codes.diseases if d.setting in ("ipt", "both")]
        self.ipt_exam = self.catalog.pools["ipt_exam"][0]
        self.mild = [d for d in self.diseases_opt if d.code.startswith(MILD_PREFIXES)]
        self.inducing = self._inducing_doctors()
        self.labelled_doctors: set[str] = set()
        self.course_used: set[tuple[int, int]] = set()  # (person, item) given a course-limited item
        self.period_end = self.month_start(knobs.months)
        self.side = self.extra = random.Random(0)

    def _inducing_doctors(self) -> list[tuple[int, str]]:
        """(institution, doctor) of the internists and paediatricians of hospitals (kinds 0–2) who admit mild
        cases every month (low_standard_admission): the family's rate of them, at least one when above 0."""
        rate = self.knobs.rate("low_standard_admission")
        inst = self.world.institutions
        pool = [
            (i, dr)
            for i in range(len(inst))
            if inst.kind[i] <= 2
            for dr in inst.doctors[i]
            if inst.doctor_dept[dr] in ("A03", "A07")
        ]
        if rate <= 0 or not pool or not self.mild:
            return []
        rng = np.random.default_rng([self.knobs.seed, 2])
        chosen = rng.choice(len(pool), size=min(len(pool), max(1, round(rate * len(pool)))), replace=False)
        return [pool[int(j)] for j in sorted(chosen)]

    # ------------------------------------------------------------------ policy and engine inputs

    def policy_on(self, insutype: str, day: date) -> Policy | None:
        found = None
        for policy in self.policies.get(insutype, []):
            if policy.begin <= day and (policy.end is None or day <= policy.end):
                found = policy
        return found

    def facts(self, item: int, tier: str) -> engine.CatalogFacts:
        key = (item, tier)
        found = self._facts.get(key)
        if found is None:
            it = self.catalog.items[item]
            cap = it.cap(tier)
            found = self._facts[key] = engine.CatalogFacts(
                chrgitm_lv=it.chrgitm_lv,
                selfpay_ratio=Decimal(it.selfpay_bp) / Decimal(10_000),
                price_cap=None if cap is None else Decimal(cap),
            )
        return found

    def refusal(self, item: int, visit: Visit, day: date) -> str | None:
        """The first payment restriction the line breaks, exactly as the settlement service decides it."""
        restrictions = self.catalog.items[item].restrictions
        if not restrictions.any:
            return None
        p = self.world.persons
        inst = self.world.institutions
        gend = str(p.gend[visit.person])
        birth = p.birth[visit.person].astype(object)
        insutype = str(p.insutype[visit.person])
        inpatient = visit.med_type.startswith("2")
        hosp_lv = inst.hosp_lv[visit.inst]
        key = (item, gend, _age(birth, day), hosp_lv or "", inpatient, insutype)
        if key in self._refusal:
            return self._refusal[key]
        violations = catalog_rules.check_restrictions(
            restrictions,
            catalog_rules.PatientFacts(gend=gend, birth_date=birth),
            catalog_rules.VisitFacts(
                day=day,
                hosp_lv=hosp_lv,
                inpatient=inpatient,
                insutype=insutype,
                maternity=visit.med_type in ("51", "52", "2106", "2107"),
            ),
        )
        found = violations[0].message if violations else None
        self._refusal[key] = found
        return found

    # ------------------------------------------------------------------ chunks

    def chunks(self) -> Iterator[tuple[int, int, int]]:
        """(month, first person, end person) in the order they are generated."""
        n = len(self.world.persons)
        step = self.knobs.chunk_persons
        for month in range(self.knobs.months):
            for start in range(0, n, step):
                yield month, start, min(n, start + step)

    def month_start(self, month: int) -> date:
        year = self.world.start.year + (self.world.start.month - 1 + month) // 12
        return date(year, (self.world.start.month - 1 + month) % 12 + 1, 1)

    def run_chunk(self, month: int, start: int, end: int) -> Chunk:
        """Draw, inject and settle the visits of persons [start, end) in `month`."""
        rng = np.random.default_rng([self.knobs.seed, 1 + month, start])
        rnd = random.Random(int(rng.integers(0, 2**62)))
        # Draws of the repeat-free supplies, the refills and the inpatient-only injection come from their own
        # stream, so the rest of the region stays what the seed always gave.
        self.side = random.Random(f"{self.knobs.seed}-{month}-{start}")
        # The course, diagnosis and data-quality injections draw from a stream of their own too.
        self.extra = random.Random(f"{self.knobs.seed}-{month}-{start}-extra")
        first = self.month_start(month)
        days = (self.month_start(month + 1) - first).days
        for year in [y for y in self.ledgers if y < first.year]:  # no later chunk settles in a past year
            del self.ledgers[year]
        self._supplies = self._live_supplies(start // self.knobs.chunk_persons, first.toordinal())
        visits = self._draw(rng, rnd, month, first, days, start, end)
        visits.sort(key=lambda v: (v.end, v.person))
        breakdowns: list[engine.Breakdown] = []
        ids: list[str] = []
        for serial, visit in enumerate(visits):
            ids.append(f"{self.world.admdvs}{month:03d}{start // self.knobs.chunk_persons:05d}{serial:07d}")
            breakdowns.append(self._settle(visit))
        return Chunk(visits, breakdowns, ids)

    # ------------------------------------------------------------------ outpatient supplies (重复开药)

    def _live_supplies(self, block: int, day0: int) -> dict[tuple[int, int], tuple[Supply, ...]]:
        """The block's supplies that a purchase on or after `day0` could still repeat (2 × gap < days)."""
        kept = {}
        for key, entries in self.supplies.get(block, {}).items():
            live = tuple(e for e in entries if 2 * e[0] + e[1] > 2 * day0)
            if live:
                kept[key] = live
        self.supplies[block] = kept
        return kept

    def _clash(self, person: int, item: int, day: int, prd: int, skip: Supply | None = None) -> bool:
        """Whether a purchase of `item` for `prd` days on ordinal `day` and another of the person's supplies
        would make the later of the two a repeat (the earlier's days > 2 × the gap)."""
        for entry in self._supplies.get((person, item), ()):
            if entry == skip:
                continue
            d, p = entry
            if (day - d) * 2 < p if d <= day else (d - day) * 2 < prd:
                return True
        return False

    def _free(self, item: int | None, person: int, pool: Any, day: int, prd: int) -> int | None:
        """`item`, or another drug of `pool` when there is no `item` or buying it for `prd` days on `day`
        would repeat one of the person's supplies (None when every drug of the pool would)."""
        if item is not None and not self._clash(person, int(item), day, prd):
            return int(item)
        free = [int(i) for i in pool if not self._clash(person, int(i), day, prd)]
        return free[self.side.randrange(len(free))] if free else None

    def _supply(self, person: int, item: int, day: int) -> Supply | None:
        for entry in self._supplies.get((person, item), ()):
            if entry[0] == day:
                return entry
        return None

    def _resupply(self, person: int, item: int, entry: Supply, prd: int) -> None:
        """The supply `entry` of the person's drug now lasts `prd` days."""
        key = (person, item)
        self._supplies[key] = tuple((d, prd) if (d, p) == entry else (d, p) for d, p in self._supplies[key])

    # ------------------------------------------------------------------ labels

    def _label(self, visit: Visit, family: str, line: int, detail: str) -> None:
        """Label an injected line with its family and with every other restriction family it breaks."""
        visit.labels.append((family, line, detail))
        self._also(visit, line, family)

    def _also(self, visit: Visit, line: int, family: str = "") -> None:
        """Label a line with the restriction families it breaks (other than `family`), as monitoring decides
        them from the knowledge: a maternity-only drug given to a man breaks both 限性别 and 限保险类型."""
        item = int(visit.lines[line][0])
        if item not in self.kb_restricted:
            return
        p = self.world.persons
        for other in self.kb.breaks(
            item,
            gend=str(p.gend[visit.person]),
            age=self._person_age(visit.person, visit.begin.date()),
            insutype=str(p.insutype[visit.person]),
            med_type=visit.med_type,
            hosp_lv=self.world.institutions.hosp_lv[visit.inst],
        ):
            if other != family and not any(f == other and w == line for f, w, _ in visit.labels):
                visit.labels.append((other, line, f"同一明细亦违反限定支付范围（{other}）"))

    # ------------------------------------------------------------------ drawing visits

    def _draw(
        self,
        rng: np.random.Generator,
        rnd: random.Random,
        month: int,
        first: date,
        days: int,
        start: int,
        end: int,
    ) -> list[Visit]:
        w = self.world
        p = w.persons
        k = self.knobs
        idx = np.arange(start, end)
        age = ((np.datetime64(first) - p.birth[idx]).astype(int) / 365.25).astype(int)
        season = 1.0 + 0.25 * np.cos(2 * np.pi * (first.month - 1) / 12)  # winter peak
        age_factor = np.where(age < 7, 1.6, np.where(age >= 65, 1.9, np.where(age >= 45, 1.3, 0.8)))
        visits: list[Visit] = []
        # Outpatient (普通门诊统筹, med_type 11): Poisson visits per person.
        n_opt = rng.poisson(OUTPATIENT_RATE / 12 * k.visit_scale * season * age_factor)
        for person in np.repeat(idx, n_opt):
            visits.append(self._outpatient(rnd, int(person), first, days))
        outpatients = list(visits)
        stays: list[Visit] = []
        # Admissions (普通住院 2101): at most one per person per month, never within 28 days of a discharge.
        ipt_factor = np.where(age < 7, 1.0, np.where(age >= 65, 3.0, np.where(age >= 45, 1.4, 0.6)))
        # 特困、低保、建档立卡 persons are admitted more often (poorer health), as a county's data shows.
        ipt_factor = ipt_factor * np.where(p.idet_type[idx] != "", GROUP_ADMISSIONS, 1.0)
        admitted = idx[rng.random(len(idx)) < INPATIENT_RATE / 12 * k.visit_scale * ipt_factor * season]
        day0 = (first - date(1970, 1, 1)).days
        for person in admitted:
            begin_day = rnd.randrange(days)
            if day0 + begin_day - self.last_discharge[person] <= 28:
                continue
            visit = self._inpatient(rnd, int(person), first + timedelta(days=begin_day), month)
            if visit is None:
                continue
            visits.append(visit)
            stays.append(visit)
            self.last_discharge[person] = (visit.end.date() - date(1970, 1, 1)).days
            if rnd.random() < k.rate("split_admission"):
                split = self._split(rnd, visit)
                visits.append(split)
                self.last_discharge[person] = (split.end.date() - date(1970, 1, 1)).days
        # Person scope: a burst of outpatient visits or pharmacy purchases in one month (频繁就医/购药).
        for person in idx[rng.random(len(idx)) < k.rate("frequent_visits")]:
            visits.extend(self._frequent(rnd, int(person), first, days))
        # Doctor scope: each inducing doctor admits 2–4 mild cases a month (in one block of persons).
        block = start // k.chunk_persons
        blocks = -(-len(p) // k.chunk_persons)
        for n, (inst, dr) in enumerate(self.inducing):
            if n % blocks != block:
                continue
            for _ in range(rnd.randrange(2, 5)):
                patient = rnd.randrange(start, end)
                begin_day = rnd.randrange(days)
                if day0 + begin_day - self.last_discharge[patient] <= 28:
                    continue
                visit = self._mild_admission(rnd, patient, inst, dr, first + timedelta(days=begin_day))
                visits.append(visit)
                self.last_discharge[patient] = (visit.end.date() - date(1970, 1, 1)).days
        # Chronic patients (门诊慢特病 14): a monthly visit; dialysis patients a monthly dialysis bill.
        chronic = idx[
            (p.chronic[idx] > 0) & (rng.random(len(idx)) < min(1.0, CHRONIC_MONTHLY * k.visit_scale))
        ]
        for person in chronic:
            visits.extend(self._chronic(rnd, int(person), first, days))
        # Pharmacy purchases (定点药店购药 41).
        n_ph = rng.poisson(PHARMACY_RATE / 12 * k.visit_scale * np.where(p.insutype[idx] == 310, 2.5, 0.8))
        for person in np.repeat(idx, n_ph):
            visits.append(self._pharmacy(rnd, int(person), first, days))
        for visit in visits:
            self._identity(rnd, visit)
        visits.extend(self._special_drugs(start, end, first, days))
        visits.extend(self._labelled_extras(outpatients, stays))
        return visits

    def _labelled_extras(self, outpatients: list[Visit], stays: list[Visit]) -> list[Visit]:
        """The course, diagnosis and data-quality families, each at its rate, from a stream of their own (the
        rest of the region is what the seed gave without them); the follow-up visits of the course one."""
        extra, k = self.extra, self.knobs
        follow_ups = []
        for stay in stays:
            if extra.random() < k.rate("course_restricted"):
                follow = self._course(stay)
                if follow is not None:
                    follow_ups.append(follow)
            if extra.random() < k.rate("data_quality"):
                self._fee_outside_stay(stay)
        for visit in outpatients:
            if extra.random() < k.rate("diagnosis_mismatch"):
                self._diagnosis_mismatch(visit)
            if extra.random() < k.rate("data_quality"):
                self._unmapped_or_gray(visit)
        return follow_ups

    def _course(self, stay: Visit) -> Visit | None:
        """A drug of 第六批 or a service of 第八批-3 paid for a limited course, first given on the first day
        of the stay (the person's first use, clean), then again at a follow-up visit at the same hospital
        once the course is over (course_restricted, scope line, on the follow-up's line). None when the
        person had every such item before or the follow-up would fall after the period."""
        course, extra = self.catalog.course, self.extra
        if not course or any(family == "upcoding" for family, _, _ in stay.labels):
            return None  # the item might be the care of the complication (the upcoding rule's `care`)
        free = [i for i in course if (stay.person, i) not in self.course_used]
        if not free:
            return None
        item = free[extra.randrange(len(free))]
        days = course[item]
        given = stay.begin + timedelta(hours=1)
        earliest = max(given.date() + timedelta(days=days), stay.end.date() + timedelta(days=1))
        day = earliest + timedelta(days=extra.randrange(10))
        if day >= self.period_end:
            return None
        self.course_used.add((stay.person, item))
        self._add(stay, item, 1, given)
        at = _at(day, extra.randrange(8, 17), extra.randrange(60))
        dr, dept = self._doctor(extra, stay.inst)
        follow = Visit(
            stay.person,
            stay.inst,
            "11",
            at,
            at + timedelta(minutes=20),
            stay.diagnoses[:1],
            dept=dept,
            doctor=dr,
        )
        self._add(follow, self._pool("opt_exam")[0], 1, at)
        line = self._add(follow, item, 1, at)
        gap = (day - given.date()).days
        name = self.catalog.items[item].name
        self._label(
            follow, "course_restricted", line, f"{name} 限支付 {days} 天，首次使用后第 {gap} 天再次结算"
        )
        return follow

    def _diagnosis_mismatch(self, visit: Visit) -> None:
        """A secondary diagnosis the patient cannot have (diagnosis_mismatch, scope visit): one of the other
        sex (GZ10000204006000), perinatal after the first year or obstetric outside 12–55
        (GZ10000204007000)."""
        codes = self.world.codes.mismatch
        gend = str(self.world.persons.gend[visit.person])
        age = self._person_age(visit.person, visit.begin.date())
        kinds = [kind for kind in ("female" if gend == "1" else "male",) if kind in codes]
        if age > 1 and "perinatal" in codes:
            kinds.append("perinatal")
        if gend == "2" and (age < 12 or age > 55) and "obstetric" in codes:
            kinds.append("obstetric")
        if not kinds:
            return
        kind = kinds[self.extra.randrange(len(kinds))]
        code = codes[kind]
        visit.diagnoses.append(code)
        why = {
            "female": "女性专有诊断用于男性",
            "male": "男性专有诊断用于女性",
            "perinatal": f"围产期诊断用于 {age} 岁患者",
            "obstetric": f"产科诊断用于 {age} 岁患者",
        }[kind]
        visit.labels.append(("diagnosis_mismatch", None, f"诊断 {code} {why}"))

    def _unmapped_or_gray(self, visit: Visit) -> None:
        """An outpatient visit with a test uploaded under the hospital's own code only (未对码, scope line;
        the line is fully self-paid) or, when the reference has one, a gray secondary diagnosis (灰码, scope
        visit) — data_quality, GZ10000201002000 / GZ10000201003000."""
        gray = self.world.codes.gray
        if gray is not None and self.extra.random() < 0.5:
            visit.diagnoses.append(gray)
            visit.labels.append(("data_quality", None, f"诊断编码 {gray} 为医保版灰码"))
            return
        labs = self._pool("lab")
        line = self._add(visit, int(labs[self.extra.randrange(len(labs))]), 1, visit.begin)
        visit.unmapped.add(line)
        visit.labels.append(("data_quality", line, "医院项目未对照医保目录编码（未对码）"))

    def _fee_outside_stay(self, stay: Visit) -> None:
        """A test of the stay billed 1–3 days before the admission or after the discharge (data_quality:
        计费日期与住院时间不符, scope line)."""
        labs, extra = self._pool("lab"), self.extra
        shift = timedelta(days=extra.randrange(1, 4))
        at = stay.end + shift if extra.random() < 0.5 else stay.begin - shift
        line = self._add(stay, int(labs[extra.randrange(len(labs))]), 1, at)
        stay.labels.append(("data_quality", line, f"计费日期 {at:%Y-%m-%d} 不在住院期间"))

    def _person_age(self, person: int, day: date) -> int:
        return _age(self.world.persons.birth[person].astype(object), day)

    def _pick_disease(self, rnd: random.Random, pool: list[Disease], person: int, day: date) -> Disease:
        p = self.world.persons
        gend = str(p.gend[person])
        age = self._person_age(person, day)
        weights = []
        for d in pool:
            ok = (d.sex is None or d.sex == gend) and d.age[0] <= age <= d.age[1]
            weights.append(d.weight * (1 + d.age_peak * (age - 40) / 10 if d.age_peak else 1) if ok else 0)
        weights = [max(x, 0.0) for x in weights]
        if not any(weights):
            return pool[0] if pool[0].sex is None else next(d for d in pool if d.sex is None)
        return rnd.choices(pool, weights)[0]

    def _doctor(self, rnd: random.Random, inst: int) -> tuple[str, str]:
        doctors = self.world.institutions.doctors[inst]
        dr = doctors[rnd.randrange(len(doctors))]
        return dr, self.world.institutions.doctor_dept[dr]

    def _pool(self, role: str) -> np.ndarray:
        return self.catalog.pools.get(role, np.zeros(0, dtype=np.int32))

    def _add(self, visit: Visit, item: int, qty: int, day: datetime, prd: int = 0, dscg: int = 0) -> int:
        tier = self.world.institutions.tier[visit.inst]
        it = self.catalog.items[item]
        visit.lines.append([int(item), qty, it.price(tier), day, prd, dscg, None])
        if prd and not dscg and visit.med_type[0] != "2" and it.kind == "drug":  # an outpatient supply
            key = (visit.person, int(item))
            self._supplies[key] = (*self._supplies.get(key, ()), (day.toordinal(), prd))
        return len(visit.lines) - 1

    def _restricted(
        self, rnd: random.Random, visit: Visit, pool: Any, day: datetime, prd: int, family: str, detail: str
    ) -> None:
        """A restricted item of `pool` put into the visit and labelled; in an outpatient visit not one whose
        last supply to the person still lasts (that would be a repeat prescription as well)."""
        item: int | None = int(pool[rnd.randrange(len(pool))])
        if visit.med_type[0] != "2":
            item = self._free(item, visit.person, pool, day.toordinal(), prd)
        if item is not None:
            self._label(visit, family, self._add(visit, item, 1, day, prd), detail)

    def _common_abuse(self, rnd: random.Random, visit: Visit, day: datetime) -> None:
        """Restricted items and duplicate pairs put into an ordinary visit, each at its family's rate."""
        k = self.knobs
        p = self.world.persons
        gend = int(p.gend[visit.person])
        age = self._person_age(visit.person, day.date())
        tier = self.world.institutions.tier[visit.inst]
        if rnd.random() < k.rate("sex_restricted"):
            pool = self._pool(f"sex{3 - gend}")
            if len(pool):
                self._restricted(rnd, visit, pool, day, 7, "sex_restricted", "限性别项目用于异性参保人")
        if age >= 30 and rnd.random() < k.rate("age_restricted"):
            detail = f"限儿童药品用于 {age} 岁参保人"
            self._restricted(rnd, visit, self._pool("child"), day, 5, "age_restricted", detail)
        if tier == "1" and rnd.random() < k.rate("level_restricted"):
            detail = "限二级及以上医疗机构药品在一级机构使用"
            self._restricted(rnd, visit, self._pool("level"), day, 3, "level_restricted", detail)
        if rnd.random() < k.rate("insurance_type_restricted"):
            detail = "限工伤/生育保险药品由基本医保结算"
            self._restricted(rnd, visit, self._pool("insutype"), day, 3, "insurance_type_restricted", detail)
        if self.catalog.pairs and rnd.random() < k.rate("duplicate_charge"):
            main, sub = self.catalog.pairs[rnd.randrange(len(self.catalog.pairs))]
            self._also(visit, self._add(visit, main, 1, day))
            line = self._add(visit, sub, 1, day)
            self._label(
                visit,
                "duplicate_charge",
                line,
                f"{self.catalog.items[sub].name} 与 {self.catalog.items[main].name} 重复收费",
            )
        if rnd.random() < k.rate("over_price_cap"):
            items = self.catalog.items  # operations of a group keep their order (手术折价): not inflated
            capped = [
                i
                for i, ln in enumerate(visit.lines)
                if items[int(ln[0])].cap(tier) is not None and items[int(ln[0])].role != "surgery_group"
            ]
            labelled = {i for _, i, _ in visit.labels}
            capped = [i for i in capped if i not in labelled]
            if capped:
                line = capped[rnd.randrange(len(capped))]
                visit.lines[line][2] = int(int(visit.lines[line][2]) * rnd.uniform(1.2, 1.8)) + 1
                visit.labels.append(("over_price_cap", line, "单价超过最高限价"))

    def _outpatient(self, rnd: random.Random, person: int, first: date, days: int) -> Visit:
        w = self.world
        kind = rnd.choices((0, 1, 2, 3), (0.15, 0.25, 0.35, 0.25))[0]
        insts = self.hospitals_by_kind[kind]
        inst = int(insts[rnd.randrange(len(insts))])
        day = first + timedelta(days=rnd.randrange(days))
        at = _at(day, rnd.randrange(8, 17), rnd.randrange(60), rnd.randrange(60))
        disease = self._pick_disease(rnd, self.diseases_opt, person, day)
        dr, dept = self._doctor(rnd, inst)
        visit = Visit(
            person, inst, "11", at, at + timedelta(minutes=20), [disease.code], dept=dept, doctor=dr
        )
        self._add(visit, self._pool("opt_exam")[0], 1, at)
        acute = self._pool("acute")
        ordinal = day.toordinal()
        for _ in range(rnd.choice((1, 1, 2, 2, 3))):
            item, qty, prd = acute[rnd.randrange(len(acute))], rnd.choice((1, 1, 2)), rnd.randrange(3, 8)
            found = self._free(item, person, acute, ordinal, prd)
            if found is not None:
                self._add(visit, found, qty, at, prd)
        if rnd.random() < 0.3:
            labs = self._pool("lab")
            self._add(visit, labs[rnd.randrange(len(labs))], 1, at)
        if rnd.random() < 0.05:
            gend = int(w.persons.gend[person])
            pool = self._pool(f"sex{gend}")
            pool = np.array([i for i in pool if self.catalog.items[i].kind == "service"], dtype=np.int32)
            if len(pool):
                self._add(visit, pool[rnd.randrange(len(pool))], 1, at)
        if self._person_age(person, day) <= 12 and rnd.random() < 0.3:
            pool = self._pool("child")
            pick: int | None = int(pool[rnd.randrange(len(pool))])
            if pick in self.kb.inpatient:  # paid for inpatients only (第四批): another child's drug
                pick = None
            child = self._free(pick, person, self._pool("child_opt"), ordinal, 5)
            if child is not None:
                self._add(visit, child, 1, at, 5)
        if w.institutions.tier[inst] != "1" and rnd.random() < 0.05:
            pool = self._pool("level")
            items = [
                i for i in pool if w.institutions.tier[inst] in self.catalog.items[i].restrictions.hosp_levels
            ]
            if items:
                found = self._free(items[rnd.randrange(len(items))], person, items, ordinal, 3)
                if found is not None:
                    self._add(visit, found, 1, at, 3)
        self._outpatient_abuse(rnd, visit, ordinal)
        self._common_abuse(rnd, visit, at)
        return visit

    def _outpatient_abuse(self, rnd: random.Random, visit: Visit, ordinal: int) -> None:
        """Excess quantity (a supply over 30 days) and an inpatient-only drug, each at its family's rate."""
        person, at = visit.person, visit.begin
        if rnd.random() < self.knobs.rate("excess_quantity"):
            drugs = [i for i, ln in enumerate(visit.lines) if self.catalog.items[int(ln[0])].kind == "drug"]
            if drugs:
                factor, prd = rnd.randrange(8, 15), rnd.randrange(60, 91)
                for line in drugs:
                    ln = visit.lines[line]
                    entry = self._supply(person, int(ln[0]), ordinal)
                    if entry is None or self._clash(person, int(ln[0]), ordinal, prd, skip=entry):
                        continue  # a longer supply would make a later purchase of the drug a repeat
                    ln[1], ln[4] = int(ln[1]) * factor, prd
                    self._resupply(person, int(ln[0]), entry, prd)
                    visit.labels.append(("excess_quantity", line, "门诊单次处方超量（超过30天）"))
                    break
        if self.side.random() < self.knobs.rate("treatment_mode_restricted"):
            pool = self._pool("inpatient_only")
            found = (
                self._free(pool[self.side.randrange(len(pool))], person, pool, ordinal, 3)
                if len(pool)
                else None
            )
            if found is not None:
                line = self._add(visit, found, 1, at, 3)
                self._label(visit, "treatment_mode_restricted", line, "限住院使用的药品在门诊结算")

    def _inpatient(self, rnd: random.Random, person: int, day: date, month: int) -> Visit | None:
        w = self.world
        inst_kind = rnd.choices((0, 1, 2), ADMISSION_KINDS[int(w.persons.insutype[person])])[0]
        insts = self.hospitals_by_kind[inst_kind]
        weights = [1.0 + (0.15 * month if w.institutions.outlier[i] else 0.0) for i in insts]
        inst = int(rnd.choices(list(insts), weights)[0])
        disease = self._pick_disease(rnd, self.diseases_ipt, person, day)
        grow = 1.0 + (0.05 * month if w.institutions.outlier[inst] else 0.0)
        tier = w.institutions.tier[inst]
        factor = {"3": 1.2, "2": 1.0, "1": 0.8}[tier] * grow
        los = max(1, round(rnd.gammavariate(2.5, disease.los / 2.5) * factor))
        los = min(los, 60)
        begin = _at(day, rnd.randrange(8, 20), rnd.randrange(60))
        end = datetime.combine(day + timedelta(days=los), datetime.min.time()).replace(
            hour=rnd.randrange(9, 12)
        )
        dr, dept = self._doctor(rnd, inst)
        visit = Visit(person, inst, "2101", begin, end, [disease.code], dept=dept, doctor=dr, ipt_days=los)
        self._stay(rnd, visit, disease, begin, los, grow)
        k = self.knobs
        if rnd.random() < 0.4:
            visit.rounds.append((begin + timedelta(days=rnd.randrange(los), hours=2), 1))
        if rnd.random() < k.rate("bed_hanging"):
            visit.rounds = [(begin + timedelta(days=rnd.randrange(los), hours=3), 0)]
            visit.labels.append(("bed_hanging", None, "查房时患者不在床（挂床住院）"))
        if visit.procedure is None and w.codes.mcc and rnd.random() < k.rate("upcoding"):
            drawn = w.codes.mcc[rnd.randrange(len(w.codes.mcc))]
            mcc: str | None = drawn
            if self._cared(visit, drawn):  # a severe stay's meropenem is sepsis care: another complication
                bare = [c for c in w.codes.mcc if not self._cared(visit, c)]
                mcc = bare[self.side.randrange(len(bare))] if bare else None
            if mcc is not None:
                visit.diagnoses.append(mcc)
                visit.labels.append(("upcoding", None, f"次要诊断 {mcc} 无相应诊疗（高套编码）"))
        return visit

    def _cared(self, visit: Visit, diagnosis: str) -> bool:
        """Whether the stay bills any of the care a severe complication needs (the upcoding rule's `care`)."""
        cares = [care for dx, care in self.mcc_care if diagnosis.startswith(dx)]
        items = self.catalog.items
        return any(items[int(ln[0])].code.startswith(tuple(cares)) for ln in visit.lines) if cares else False

    def _stay(
        self, rnd: random.Random, visit: Visit, disease: Disease, begin: datetime, los: int, grow: float
    ) -> None:
        """The lines of a stay: daily bed, nursing and ward fees, drugs, tests, surgery, discharge drugs."""
        k = self.knobs
        tier = self.world.institutions.tier[visit.inst]
        lines_a_day, units = DAILY_CARE[tier]
        bed, nursing = self._pool("bed")[0], self._pool("nursing")[0]
        ipt_drugs, labs, imaging = self._pool("ipt"), self._pool("lab"), self._pool("imaging")
        severe = self._pool("severe")
        severe_days = min(los, rnd.randrange(2, 6)) if rnd.random() < SEVERE[tier] else 0
        for d in range(los):
            at = begin + timedelta(days=d, hours=1)
            self._add(visit, bed, 1, at)
            self._add(visit, nursing, 1, at)
            self._add(visit, self.ipt_exam, 1, at)
            for _ in range(rnd.choice(lines_a_day)):
                self._add(visit, ipt_drugs[rnd.randrange(len(ipt_drugs))], rnd.choice(units), at)
            if d < severe_days:
                self._add(visit, severe[rnd.randrange(len(severe))], rnd.choice((2, 3, 4)), at)
        # The admission panel (入院检查), repeated every few days of a longer stay, and imaging.
        panel = min(len(labs), 2 + int(grow > 1.2) + (2 if tier != "1" else 0))
        for item in rnd.sample(list(labs), panel):
            self._add(visit, item, 1 + (los // 4 if tier != "1" else 0), begin + timedelta(hours=2))
        for n in range(1 if tier == "1" else 2):
            self._add(visit, imaging[rnd.randrange(len(imaging))], 1, begin + timedelta(hours=3 + n))
        procedure = self.world.codes.procedures.get(disease.code)
        if procedure is not None:
            at = begin + timedelta(days=min(1, los - 1), hours=3)
            visit.procedure = procedure
            self._add(visit, self.code_index[disease.surgery_code], 1, at)
            if disease.implant:
                implant = self._pool(disease.implant)
                self._add(visit, implant[rnd.randrange(len(implant))], 1, at)
        if self.catalog.surgery_groups:
            self._second_operation(visit, begin + timedelta(days=min(1, los - 1), hours=5))
        if rnd.random() < k.rate("frequency_exceeded"):
            exam_lines = [i for i, ln in enumerate(visit.lines) if ln[0] == self.ipt_exam]
            line = exam_lines[rnd.randrange(len(exam_lines))]
            visit.lines[line][1] = 2
            visit.labels.append(("frequency_exceeded", line, "住院诊查费每日限1次，当日计2次"))
        end = visit.end
        if rnd.random() < 0.3:
            acute, oral = self._pool("acute"), self._pool("oral")  # 001 第6篇 第31条: oral drugs only
            item = int(acute[rnd.randrange(len(acute))])
            if item not in self.oral:
                item = int(oral[self.side.randrange(len(oral))])
            self._add(visit, item, 1, end, rnd.randrange(3, 8), 1)
        if rnd.random() < k.rate("discharge_medication"):
            oral = self._pool("htn")
            line = self._add(
                visit, oral[rnd.randrange(len(oral))], rnd.randrange(4, 9), end, rnd.randrange(30, 61), 1
            )
            visit.labels.append(("discharge_medication", line, "出院带药超过7天用量"))
        self._common_abuse(rnd, visit, begin + timedelta(hours=4))

    def _second_operation(self, visit: Visit, at: datetime) -> None:
        """Two operations of one group on one day: the cheaper (the rule's second, 第二批) at half its price,
        or, at the unbundled_charge rate, at its full price (手术项目未按规定折价收费, labelled)."""
        draw = self.side.random()
        abuse = draw < self.knobs.rate("unbundled_charge")
        if not abuse and draw < 1 - SECOND_OPERATION:
            return
        groups = self.catalog.surgery_groups
        first, second = self.side.sample(groups[self.side.randrange(len(groups))], 2)
        a, b = self._add(visit, first, 1, at), self._add(visit, second, 1, at)
        later = a if int(visit.lines[a][2]) < int(visit.lines[b][2]) else b  # dearest first, then line order
        if abuse:
            self._label(visit, "unbundled_charge", later, "同一切口第二台手术未按50%折价收费")
        else:
            visit.lines[later][2] = int(visit.lines[later][2]) // 2

    def _special_drugs(self, start: int, end: int, first: date, days: int) -> list[Visit]:
        """The month's special-drug visits (特殊药品, 五定) of the registered patients among [start, end):
        at the registered hospital, department and doctor, within the monthly dose; at the special_drug_rules
        rate one breaks the registration (a person not registered, another hospital, department or doctor,
        or over the dose), labelled on the drug's line."""
        side, inst_data = self.side, self.world.institutions
        visits: list[Visit] = []
        for reg in self.world.registrations:
            if not start <= reg.person < end or side.random() >= self.knobs.visit_scale:
                continue
            at = _at(first + timedelta(days=side.randrange(days)), side.randrange(8, 17), side.randrange(60))
            person, inst, dept, dr, qty = (
                reg.person,
                reg.inst,
                reg.dept,
                reg.doctor,
                side.randrange(1, reg.max_cnt + 1),
            )
            broken = ""
            if side.random() < self.knobs.rate("special_drug_rules"):
                broken = side.choice(("drug", "hospital", "department", "doctor", "dose"))
            if broken == "hospital":
                others = [int(i) for i in np.flatnonzero(inst_data.kind <= 1) if int(i) != reg.inst]
                inst = others[side.randrange(len(others))]
                dr, dept = self._doctor(side, inst)
            elif broken in ("department", "doctor"):
                same = broken == "doctor"
                pool = [
                    d
                    for d in inst_data.doctors[inst]
                    if d != reg.doctor and (inst_data.doctor_dept[d] == reg.dept) == same
                ]
                dr = pool[side.randrange(len(pool))]
                dept = inst_data.doctor_dept[dr]
            elif broken == "dose":
                qty = reg.max_cnt + side.randrange(1, 3)
            visit = Visit(
                person,
                inst,
                "11",
                at,
                at + timedelta(minutes=20),
                [self.special_diagnosis],
                dept=dept,
                doctor=dr,
            )
            self._add(visit, self._pool("opt_exam")[0], 1, at)
            line = self._add(visit, reg.item, qty, at)
            visits.append(visit)
            if broken == "drug":  # the registered patient's drug billed for another person of the block
                other = side.randrange(start, end)
                while (other, reg.item) in self.registered:
                    other = side.randrange(start, end)
                at = at + timedelta(hours=1)
                visit = Visit(
                    other,
                    inst,
                    "11",
                    at,
                    at + timedelta(minutes=20),
                    [self.special_diagnosis],
                    dept=dept,
                    doctor=dr,
                )
                self._add(visit, self._pool("opt_exam")[0], 1, at)
                line = self._add(visit, reg.item, 1, at)
                visits.append(visit)
            if broken:
                detail = {
                    "drug": "参保人未备案该特殊药品（定药品）",
                    "hospital": "特殊药品在备案定点机构以外结算（定医院）",
                    "department": "特殊药品由备案科室以外开单（定科室）",
                    "doctor": "特殊药品由备案责任医师以外开单（定医生）",
                    "dose": f"特殊药品当月 {qty} 支，超过备案剂量 {reg.max_cnt}（定剂量）",
                }[broken]
                self._label(visit, "special_drug_rules", line, detail)
        for visit in visits:
            self._identity(side, visit)
        return visits

    def _frequent(self, rnd: random.Random, person: int, first: date, days: int) -> list[Visit]:
        """A month's burst of one person (frequent_visits, scope person): 12–16 outpatient visits (over the
        limit of 10 a month) or 10–14 pharmacy purchases (over 8), at several institutions."""
        if rnd.random() < 0.5:
            visits = [self._outpatient(rnd, person, first, days) for _ in range(rnd.randrange(12, 17))]
            detail = f"{first:%Y-%m} 普通门诊 {len(visits)} 次（频繁就医）"
        else:
            visits = [self._pharmacy(rnd, person, first, days) for _ in range(rnd.randrange(10, 15))]
            detail = f"{first:%Y-%m} 药店购药 {len(visits)} 次（频繁购药）"
        visits[0].labels.append(("frequent_visits", "person", detail))
        return visits

    def _mild_admission(self, rnd: random.Random, person: int, inst: int, dr: str, day: date) -> Visit:
        """A short stay for a mild condition with no outpatient care before (低标准入院), admitted by an
        inducing doctor; the doctor carries the label (scope doctor), once."""
        disease = self.mild[rnd.randrange(len(self.mild))]
        los = rnd.randrange(2, 5)
        begin = _at(day, rnd.randrange(8, 20), rnd.randrange(60))
        end = datetime.combine(day + timedelta(days=los), datetime.min.time()).replace(
            hour=rnd.randrange(9, 12)
        )
        dept = self.world.institutions.doctor_dept[dr]
        visit = Visit(person, inst, "2101", begin, end, [disease.code], dept=dept, doctor=dr, ipt_days=los)
        self._stay(rnd, visit, disease, begin, los, 1.0)
        if dr not in self.labelled_doctors:
            self.labelled_doctors.add(dr)
            visit.labels.append(("low_standard_admission", "doctor", "医师收治轻症（先门诊/留观病种）住院"))
        return visit

    def _split(self, rnd: random.Random, first: Visit) -> Visit:
        """A second admission of the same patient, same hospital and diagnosis, days after the discharge."""
        begin = first.end + timedelta(days=rnd.randrange(1, 11), hours=2)
        los = rnd.randrange(2, 6)
        end = begin + timedelta(days=los)
        visit = Visit(
            first.person,
            first.inst,
            "2101",
            begin,
            end,
            [first.diagnoses[0]],
            dept=first.dept,
            doctor=first.doctor,
            ipt_days=los,
        )
        disease = next(d for d in self.world.codes.diseases if d.code == first.diagnoses[0])
        self._stay(rnd, visit, Disease(**{**disease.__dict__, "procedure": None}), begin, los, 1.0)
        visit.labels.append(
            ("split_admission", None, f"出院后 {(begin - first.end).days} 天同院同诊断再次入院")
        )
        return visit

    def _chronic(self, rnd: random.Random, person: int, first: date, days: int) -> list[Visit]:
        """A chronic patient's monthly visit (at least REFILL_DAYS after the last one), and at the
        repeat_prescription rate a refill at another institution while the supply lasts."""
        p = self.world.persons
        kind = int(p.chronic[person])
        diag, _name, disease = CHRONIC_CODES[kind]
        inst_kind = 0 if kind == 3 else rnd.choice((1, 2, 2))
        insts = self.hospitals_by_kind[inst_kind]
        inst = int(insts[person % len(insts)])  # patients stay with one institution
        earliest = min(days - 1, max(0, int(self.last_chronic[person]) + REFILL_DAYS - first.toordinal()))
        offset = rnd.randrange(days)
        if offset < earliest:  # half of last month's supply is not used yet
            offset = earliest + self.side.randrange(days - earliest)
        day = first + timedelta(days=offset)
        self.last_chronic[person] = day.toordinal()
        at = _at(day, rnd.randrange(8, 17), rnd.randrange(60))
        dr, dept = self._doctor(rnd, inst)
        visit = Visit(
            person, inst, "14", at, at + timedelta(minutes=30), [diag], disease=disease, dept=dept, doctor=dr
        )
        if kind == 3:
            dialysis = next(i for i in self._pool("dialysis") if self.catalog.items[i].kind == "service")
            sessions = rnd.randrange(8, 14)
            line = self._add(visit, dialysis, sessions, at)
            filters = next(i for i in self._pool("dialysis") if self.catalog.items[i].kind == "consumable")
            self._add(visit, filters, sessions, at)
            drugs = [i for i in self._pool("dialysis") if self.catalog.items[i].kind == "drug"]
            for item in drugs[:2]:
                self._add(visit, item, rnd.randrange(2, 5), at, CHRONIC_DAYS)
            if rnd.random() < self.knobs.rate("dialysis_overcount"):
                visit.lines[line][1] = rnd.randrange(20, 27)
                visit.labels.append(("dialysis_overcount", line, "月透析次数超过每周3次的上限"))
        else:
            pool = self._pool("htn" if kind == 1 else "dm")
            for item in rnd.sample(list(pool), min(len(pool), rnd.choice((1, 2, 3)))):
                self._add(visit, item, rnd.randrange(1, 4), at, CHRONIC_DAYS)
            if rnd.random() < 0.2:
                labs = self._pool("lab")
                self._add(visit, labs[rnd.randrange(len(labs))], 1, at)
            if self.side.random() < self.knobs.rate("repeat_prescription"):
                refill = self._refill(self.side, visit, inst_kind, first + timedelta(days=days))
                if refill is not None:
                    return [visit, refill]
        return [visit]

    def _refill(self, rnd: random.Random, visit: Visit, inst_kind: int, month_end: date) -> Visit | None:
        """A chronic drug bought again at another institution 1–14 days after the monthly visit, while the
        30-day supply lasts (重复开药, scope line); None when it would fall in the next month or repeat
        another supply."""
        drugs = [n for n, ln in enumerate(visit.lines) if ln[4]]
        if not drugs:
            return None
        line = visit.lines[drugs[rnd.randrange(len(drugs))]]
        item, prd = int(line[0]), int(line[4])
        gap = rnd.randrange(1, (prd + 1) // 2)  # 2 × gap < days supplied
        at = visit.begin + timedelta(days=gap, hours=rnd.randrange(0, 3))
        person, day = visit.person, at.toordinal()
        entry = self._supply(person, item, visit.begin.toordinal())
        if at.date() >= month_end or entry is None or self._clash(person, item, day, prd, skip=entry):
            return None
        insts = [int(i) for i in self.hospitals_by_kind[inst_kind] if int(i) != visit.inst] or [visit.inst]
        inst = insts[rnd.randrange(len(insts))]
        dr, dept = self._doctor(rnd, inst)
        refill = Visit(
            person,
            inst,
            "14",
            at,
            at + timedelta(minutes=30),
            list(visit.diagnoses),
            disease=visit.disease,
            dept=dept,
            doctor=dr,
        )
        self._add(refill, self._pool("opt_exam")[0], 1, at)
        n = self._add(refill, item, int(line[1]), at, prd)
        refill.labels.append(
            ("repeat_prescription", n, f"{visit.begin:%Y-%m-%d} 已开 {prd} 天，{gap} 天后在另一机构再开")
        )
        self.last_chronic[person] = day  # the next monthly visit waits for this supply too
        return refill

    def _pharmacy(self, rnd: random.Random, person: int, first: date, days: int) -> Visit:
        insts = self.hospitals_by_kind[4]
        inst = int(insts[rnd.randrange(len(insts))])
        day = first + timedelta(days=rnd.randrange(days))
        at = _at(day, rnd.randrange(8, 21), rnd.randrange(60))
        dr = self.world.institutions.doctors[inst][0]
        visit = Visit(person, inst, "41", at, at + timedelta(minutes=5), [], dept="", doctor=dr)
        acute = self._pool("acute")
        ordinal = day.toordinal()
        for _ in range(rnd.choice((1, 1, 2, 3))):
            item, qty, prd = acute[rnd.randrange(len(acute))], rnd.choice((1, 1, 2)), rnd.randrange(3, 8)
            found = self._free(item, person, acute, ordinal, prd)
            if found is not None:
                self._add(visit, found, qty, at, prd)
        if not visit.lines:  # every drug still supplied: an over-the-counter purchase without days
            self._add(visit, acute[self.side.randrange(len(acute))], 1, at)
        if rnd.random() < self.knobs.rate("pharmacy_goods"):
            line = self._add(visit, acute[rnd.randrange(len(acute))], rnd.randrange(1, 4), at)
            goods = GOODS[rnd.randrange(len(GOODS))]
            visit.lines[line][6] = goods
            visit.labels.append(("pharmacy_goods", line, f"日用品“{goods}”按药品结算"))
        return visit

    def _identity(self, rnd: random.Random, visit: Visit) -> None:
        if rnd.random() < self.knobs.rate("impersonation"):
            visit.checks.append((visit.begin - timedelta(minutes=5), 0))
            visit.labels.append(("impersonation", None, "人脸识别比对不一致（冒名就医）"))
        elif rnd.random() < 0.3:
            visit.checks.append((visit.begin - timedelta(minutes=5), 1))

    # ------------------------------------------------------------------ settlement

    def _settle(self, visit: Visit) -> engine.Breakdown:
        """Settle one visit with the real calculation, carrying the year ledger and the account."""
        p = self.world.persons
        person = visit.person
        insutype = str(p.insutype[person])
        day = visit.end.date() if visit.med_type.startswith("2") else visit.begin.date()
        policy = self.policy_on(insutype, day)
        if policy is None:
            raise LookupError(f"no policy for {insutype} on {day}")
        tier = self.world.institutions.tier[visit.inst]
        lines = []
        for n, (item, qty, price, at, _prd, _dscg, _name) in enumerate(visit.lines):
            amount = int(price) * int(qty)
            lines.append(
                engine.FeeLine(
                    sn=str(n),
                    amount=amount,
                    price=Decimal(int(price)),
                    quantity=Decimal(int(qty)),
                    item=self.facts(int(item), tier),
                    refusal=UNMAPPED if n in visit.unmapped else self.refusal(int(item), visit, at.date()),
                )
            )
        ledger = self.ledgers.setdefault(day.year, {}).setdefault(person, {})
        psn_type = str(p.psn_type[person])
        groups = frozenset({str(p.idet_type[person])}) - {""}
        chronic = CHRONIC_CODES.get(int(p.chronic[person]))
        breakdown = engine.settle(
            policy=policy,
            person=engine.PersonFacts(
                retired=psn_type == "12",
                groups=groups,
                registered_diseases=frozenset({chronic[2]}) if chronic else frozenset(),
                account_balance=int(self.balance[person]),
            ),
            visit=engine.VisitFacts(
                med_type=visit.med_type,
                level=tier,
                diagnoses=tuple(visit.diagnoses),
                disease=visit.disease,
            ),
            lines=lines,
            ledger=ledger,
        )
        for name, delta in breakdown.ledger_delta.items():
            ledger[name] = ledger.get(name, 0) + delta
        self.balance[person] -= breakdown.acct_pay
        return breakdown

    def credit_accounts(self, start: int, end: int) -> None:
        """The monthly personal-account credit of employees (个人账户划入)."""
        p = self.world.persons
        credit = np.where(
            p.psn_type[start:end] == "11",
            ACCOUNT_CREDIT["11"],
            np.where(p.psn_type[start:end] == "12", ACCOUNT_CREDIT["12"], 0),
        )
        self.balance[start:end] += credit


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    """A local (Beijing) wall-clock time on `day`, as the batch files carry it."""
    return datetime.combine(day, time(hour, minute, second))


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def load_policies(folder: Path) -> dict[str, list[Policy]]:
    """The sample benefit policies (examples/policy), by insutype, oldest first.

    They are the fictional region 439901's; a data set written under another `--admdvs` is settled by
    the same rules."""
    from yibao.policy.document import parse_file  # the checked TOML reader of the policy area

    found: dict[str, list[Policy]] = {}
    for path in sorted(folder.glob("*.toml")):
        policy = parse_file(path.read_text(encoding="utf-8"))
        found.setdefault(policy.insutype, []).append(policy)
    for versions in found.values():
        versions.sort(key=lambda v: v.begin)
    if not {"310", "390"} <= set(found):
        raise FileNotFoundError(f"sample policies for 310 and 390 missing in {folder}")
    return found
