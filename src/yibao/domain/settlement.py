"""The settlement calculation (结算): a bill in, the split between funds, account and cash out.

Pure: the caller passes the policy version in force, the person's facts, the year ledger before this
bill and the bill's lines (refunds already netted). Every amount is integer fen; each ratio is
applied once and rounded half up to the fen at the place named in the trace.

Order of the layers (一站式结算): line split (全自费 / 超限价 / 先行自付 / 政策范围内) → basic fund
(起付线, 分段比例, 年度封顶) → civil-servant subsidy → large-amount / serious illness → medical
assistance → personal account → cash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from yibao.domain.errors import invalid
from yibao.domain.money import Fen, fen_to_yuan, ratio_of
from yibao.domain.policy import Band, BenefitRule, Category, GroupTilt, Policy, SeriousIllnessLayer

CLASS_A, CLASS_B, CLASS_C = "01", "02", "03"  # chrgitm_lv: 甲类 / 乙类 / 丙类
CLASS_NAMES = {CLASS_A: "甲类", CLASS_B: "乙类", CLASS_C: "丙类"}
LEVEL_NAMES = {"1": "一级及以下", "2": "二级", "3": "三级"}
ACCOUNT_FUND_PAY_TYPE = "310200"  # 个人账户基金
CVLSERV_FUND_PAY_TYPE = "320100"
MAF_FUND_PAY_TYPE = "610100"


@dataclass(frozen=True)
class CatalogFacts:
    """What the catalog says of a line's item on the service date."""

    chrgitm_lv: str  # 01 甲类, 02 乙类, 03 丙类
    selfpay_ratio: Decimal | None = None  # 先行自付比例 (乙类)
    price_cap: Decimal | None = None  # 最高限价, fen per unit


@dataclass(frozen=True)
class FeeLine:
    """One net fee line (费用明细): amount in fen, unit price in fen, quantity."""

    sn: str
    amount: Fen
    price: Decimal
    quantity: Decimal
    item: CatalogFacts | None  # None: outside the catalog or not mapped (目录外/未对码)
    refusal: str | None = None  # a payment restriction the line breaks (限定支付), fully self-paid
    refund_of: str | None = None  # a refund line (退费, negative quantity) names the line it takes back


@dataclass(frozen=True)
class PersonFacts:
    """The insured person as the policy sees them on the service date."""

    retired: bool = False
    groups: frozenset[str] = frozenset()  # psn_idet_type codes: 2304 特困, 2303 低保, 2302 建档立卡 …
    civil_servant: bool = False
    registered_diseases: frozenset[str] = frozenset()  # 门慢特病 registrations
    account_balance: Fen = 0


@dataclass(frozen=True)
class VisitFacts:
    """The visit being settled."""

    med_type: str
    level: str  # dedc_hosp_lv: 1 一级及以下, 2 二级, 3 三级
    diagnoses: tuple[str, ...] = ()  # principal first
    injury_cause: str | None = None
    disease: str | None = None  # the registered chronic disease treated
    new_admission: bool = True  # False for a mid-stay settlement after the first
    deductible_paid: Fen = 0  # deductible already paid by earlier (mid-stay) settlements of this visit


@dataclass(frozen=True)
class LineSplit:
    """How one line splits (明细分割)."""

    sn: str
    amount: Fen
    fulamt_ownpay: Fen
    overlmt_selfpay: Fen
    preselfpay: Fen
    inscp: Fen
    reason: str


@dataclass(frozen=True)
class TraceItem:
    """One amount with the policy clause and the numbers that produced it."""

    key: str
    amount: Fen
    clause: str
    text: str


@dataclass(frozen=True)
class Breakdown:
    """The settlement result with the national settlement semantics (结算信息)."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    act_pay_dedc: Fen
    hifp_pay: Fen
    pool_prop_selfpay: Fen
    cvlserv_pay: Fen
    hifmi_pay: Fen
    maf_pay: Fen
    fund_pay_sumamt: Fen
    psn_part_amt: Fen
    acct_pay: Fen
    psn_cash_pay: Fen
    balc: Fen
    fund_details: tuple[tuple[str, Fen], ...]
    lines: tuple[LineSplit, ...]
    trace: tuple[TraceItem, ...]
    ledger_delta: Mapping[str, int]
    review_required: bool = False


@dataclass
class _Trace:
    items: list[TraceItem] = field(default_factory=list)

    def add(self, key: str, amount: Fen, clause: str, text: str) -> None:
        self.items.append(TraceItem(key, amount, clause, text))


def _round(value: Decimal) -> Fen:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _y(fen: Fen) -> str:
    return f"{fen_to_yuan(fen)}元"


# ---------------------------------------------------------------------------------------------
# Line split


def net_refunds(lines: list[FeeLine]) -> list[FeeLine]:
    """Take refund lines (退费) off the lines they name; fully refunded lines disappear."""
    net: dict[str, FeeLine] = {}
    refunds: list[FeeLine] = []
    for line in lines:
        if line.refund_of is None:
            if line.quantity <= 0 or line.amount < 0:
                raise invalid(
                    "LINE_QUANTITY", "cnt", f"明细 {line.sn} 数量必须大于0（退费请用负数量并注明原明细）"
                )
            net[line.sn] = line
        else:
            refunds.append(line)
    for refund in refunds:
        original = net.get(refund.refund_of or "")
        if original is None:
            raise invalid(
                "REFUND_UNKNOWN_LINE",
                "init_feedetl_sn",
                f"退费明细 {refund.sn} 指向的原明细 {refund.refund_of} 不存在",
            )
        if refund.quantity >= 0 or refund.amount > 0:
            raise invalid("REFUND_SIGN", "cnt", f"退费明细 {refund.sn} 的数量和金额必须为负数")
        quantity = original.quantity + refund.quantity
        amount = original.amount + refund.amount
        if quantity < 0 or amount < 0:
            raise invalid("LINE_NEGATIVE", "cnt", f"退费明细 {refund.sn} 退费超过原明细 {original.sn}")
        net[original.sn] = replace(original, quantity=quantity, amount=amount)
    return [line for line in net.values() if line.quantity > 0 or line.amount > 0]


def split_line(line: FeeLine, policy: Policy, excluded: str | None = None) -> LineSplit:
    """Split one net line into 全自费, 超限价自付, 先行自付 and 政策范围内 (they always add up)."""
    if line.amount < 0:
        raise invalid("LINE_NEGATIVE", "amount", f"明细 {line.sn} 冲减后金额为负数，退费数量超过原明细")
    whole = line.amount
    if excluded is not None:
        return LineSplit(line.sn, whole, whole, 0, 0, 0, excluded)
    if line.item is None:
        return LineSplit(line.sn, whole, whole, 0, 0, 0, "目录外或未对码，全额自费")
    if line.refusal is not None:
        return LineSplit(line.sn, whole, whole, 0, 0, 0, line.refusal)
    item = line.item
    if item.chrgitm_lv == CLASS_C:
        return LineSplit(line.sn, whole, whole, 0, 0, 0, "丙类，全额自费")
    over = 0
    if item.price_cap is not None and line.price > item.price_cap:
        over = min(whole, _round((line.price - item.price_cap) * line.quantity))
    rest = whole - over
    if item.chrgitm_lv == CLASS_B:
        ratio = item.selfpay_ratio if item.selfpay_ratio is not None else policy.default_selfpay_ratio
    else:
        ratio = item.selfpay_ratio or Decimal(0)
    pre = ratio_of(rest, ratio)
    reason = CLASS_NAMES.get(item.chrgitm_lv, item.chrgitm_lv)
    if over:
        reason += f"，单价超最高限价 {fen_to_yuan(_round(item.price_cap or Decimal(0)))} 元部分自付"
    if pre:
        reason += f"，先行自付 {_pct(ratio)}"
    return LineSplit(line.sn, whole, 0, over, pre, rest - pre, reason)


# ---------------------------------------------------------------------------------------------
# Visit-level decisions


def _exclusion(policy: Policy, visit: VisitFacts) -> tuple[str | None, bool]:
    """Why the fund pays nothing for the visit (or None), and whether it must go to review (非自然疾病)."""
    principal = visit.diagnoses[0] if visit.diagnoses else ""
    for prefix, reason in policy.exclusions.diagnosis_prefixes.items():
        if principal.startswith(prefix):
            return f"{reason}（主诊断 {principal}），不予支付", False
    if visit.med_type in policy.exclusions.injury_med_types:
        cause = (visit.injury_cause or "").strip()
        if not cause:
            raise invalid(
                "INJURY_CAUSE_REQUIRED", "injury_cause", "字段 injury_cause 外伤就医必须登记受伤原因"
            )
        if cause not in policy.exclusions.injury_causes:
            allowed = "/".join(policy.exclusions.injury_causes)
            raise invalid(
                "INJURY_CAUSE_UNKNOWN",
                "injury_cause",
                f"字段 injury_cause 受伤原因 {cause!r} 无效，可选：{allowed}",
            )
        if not policy.exclusions.injury_causes[cause]:
            return f"受伤原因“{cause}”不属于医保支付范围", False
        return None, True
    return None, False


def _best_tilt(tilts: Mapping[str, GroupTilt], groups: frozenset[str]) -> tuple[str | None, GroupTilt]:
    """The most favourable tilt among the person's special groups (lowest deductible, then highest ratio)."""
    best: tuple[str | None, GroupTilt] = (None, GroupTilt())
    for group in sorted(groups):
        tilt = tilts.get(group)
        if tilt is None:
            continue
        current = best[1]
        if (tilt.deductible_factor, -tilt.ratio_add) < (current.deductible_factor, -current.ratio_add):
            best = (group, tilt)
    return best


@dataclass
class _Slices:
    """Pays an amount slice by slice against a cap; remembers how much of the base the cap let through."""

    remaining_cap: Decimal | None
    paid: Decimal = Decimal(0)
    consumed: Decimal = Decimal(0)
    capped: bool = False

    def pay(self, portion: Decimal, ratio: Decimal) -> None:
        if portion <= 0 or self.capped:
            return
        amount = portion * ratio
        if self.remaining_cap is not None and self.paid + amount >= self.remaining_cap:
            room = self.remaining_cap - self.paid
            self.consumed += (room / ratio) if ratio > 0 else portion
            self.paid = self.remaining_cap
            self.capped = True
            return
        self.paid += amount
        self.consumed += portion


def _pay_in_bands(bands: list[Band], ratio: Decimal, start: Fen, amount: Fen, slices: _Slices) -> list[str]:
    """Pay `amount` positioned at `start` on a yearly cumulative scale, band by band (分段累进)."""
    if not bands:
        slices.pay(Decimal(amount), min(Decimal(1), max(Decimal(0), ratio)))
        return []
    notes: list[str] = []
    position, end, lower = start, start + amount, 0
    for band in bands:
        upper = end if band.upto is None else band.upto
        portion = max(0, min(end, upper) - max(position, lower))
        if portion:
            band_ratio = min(Decimal(1), max(Decimal(0), ratio + band.ratio_add))
            slices.pay(Decimal(portion), band_ratio)
            top = "以上" if band.upto is None else _y(band.upto)
            notes.append(f"累计 {_y(lower)}–{top} 按 {_pct(band_ratio)}")
            position += portion
        lower = max(lower, upper)
    return notes


def _cap_room(
    policy: Policy, rule: BenefitRule, visit: VisitFacts, ledger: Mapping[str, int]
) -> tuple[Fen | None, Fen | None]:
    """What is left this year under the rule's yearly caps, and under the disease's own limit (None: none)."""
    caps = [policy.caps[name] - ledger.get(f"cap:{name}", 0) for name in rule.caps]
    disease = None
    if visit.disease is not None and visit.disease in rule.disease_limits:
        disease = max(0, rule.disease_limits[visit.disease] - ledger.get(f"disease:{visit.disease}", 0))
    return (max(0, min(caps)) if caps else None), disease


def _count_caps(rule: BenefitRule, visit: VisitFacts, fund: Fen, delta: dict[str, int]) -> None:
    if not fund:
        return
    for name in rule.caps:
        delta[f"cap:{name}"] = delta.get(f"cap:{name}", 0) + fund
    if visit.disease is not None and visit.disease in rule.disease_limits:
        delta[f"disease:{visit.disease}"] = fund


def _deductible(
    rule: BenefitRule, person: PersonFacts, visit: VisitFacts, ledger: Mapping[str, int], inscp: Fen
) -> tuple[Fen, list[str], tuple[str | None, GroupTilt]]:
    """The deductible (起付线) this bill pays: by level, nth admission, group tilt and what the year used."""
    standard = rule.deductible.get(visit.level, 0)  # type: ignore[call-overload]
    factor = Decimal(1)
    notes = [f"{LEVEL_NAMES.get(visit.level, visit.level)}医院起付线 {_y(standard)}"]
    if rule.category is Category.INPATIENT:
        nth = max(1, ledger.get("admissions", 0) + (1 if visit.new_admission else 0))
        factor = rule.repeat_factors[min(nth, len(rule.repeat_factors)) - 1]
        notes.append(f"本年第{nth}次住院按 {_pct(factor)}")
    group, tilt = _best_tilt(rule.group_tilts, person.groups)
    if group is not None and tilt.deductible_factor != 1:
        factor *= tilt.deductible_factor
        notes.append(f"特殊人群 {group} 起付线按 {_pct(tilt.deductible_factor)}")
    remaining = _round(standard * factor)
    if rule.deductible_scope == "year":
        used = ledger.get(f"dedc:{rule.category.value}", 0)
        remaining = max(0, remaining - used)
        notes.append(f"年度已付起付线 {_y(used)}")
    elif visit.deductible_paid:
        remaining = max(0, remaining - visit.deductible_paid)
        notes.append(f"本次住院中途结算已付起付线 {_y(visit.deductible_paid)}")
    return min(inscp, remaining), notes, (group, tilt)


def _basic_fund(
    policy: Policy,
    rule: BenefitRule,
    person: PersonFacts,
    visit: VisitFacts,
    ledger: Mapping[str, int],
    inscp: Fen,
    trace: _Trace,
    delta: dict[str, int],
) -> tuple[Fen, Fen, Fen]:
    """Deductible, basic fund payment (统筹支付) and the eligible part left above the yearly cap."""
    where = f"benefits[{rule.category.value}]"
    if rule.category is Category.INPATIENT and visit.new_admission:
        delta["admissions"] = 1
    if rule.fixed_amount is not None:
        fund = min(rule.fixed_amount, inscp)
        trace.add(
            "hifp_pay",
            fund,
            f"{where}.fixed_amount",
            f"定额支付 {_y(rule.fixed_amount)}，本次支付 {_y(fund)}",
        )
        _count_caps(rule, visit, fund, delta)
        return 0, fund, 0

    deductible, notes, (group, tilt) = _deductible(rule, person, visit, ledger, inscp)
    if rule.deductible_scope == "year" and deductible:
        delta[f"dedc:{rule.category.value}"] = deductible
    clause = f"{where}.deductible.{visit.level}"
    trace.add("act_pay_dedc", deductible, clause, "，".join(notes) + f"：本次 {_y(deductible)}")

    eligible = inscp - deductible
    ratio = rule.ratio[visit.level]  # type: ignore[index]
    ratio_notes = [f"{LEVEL_NAMES.get(visit.level, visit.level)}医院支付比例 {_pct(ratio)}"]
    if person.retired and rule.retired_add:
        ratio += rule.retired_add
        ratio_notes.append(f"退休 +{_pct(rule.retired_add)}")
    if group is not None and tilt.ratio_add:
        ratio += tilt.ratio_add
        ratio_notes.append(f"特殊人群 {group} +{_pct(tilt.ratio_add)}")
    cap_room, disease_room = _cap_room(policy, rule, visit, ledger)
    rooms = [r for r in (cap_room, disease_room) if r is not None]
    room = min(rooms) if rooms else None
    slices = _Slices(remaining_cap=None if room is None else Decimal(room))
    ratio_notes += _pay_in_bands(
        rule.bands, ratio, ledger.get(f"elig:{rule.category.value}", 0), eligible, slices
    )
    fund = _round(slices.paid) if room is None else min(_round(slices.paid), room)
    above_cap = (
        0  # what is left above the yearly cap (a disease limit is not the basic cap: no 大额 above it)
    )
    if slices.capped and cap_room is not None and cap_room == room:
        above_cap = eligible - min(
            eligible, int(slices.consumed.quantize(Decimal(1), rounding=ROUND_CEILING))
        )
    if eligible:
        delta[f"elig:{rule.category.value}"] = eligible
    _count_caps(rule, visit, fund, delta)
    if room is not None:
        ratio_notes.append(f"年度封顶剩余 {_y(room)}")
        if slices.capped:
            ratio_notes.append(
                f"已达限额，超出部分 {_y(eligible - _round(slices.consumed))} 不由统筹基金支付"
            )
    text = f"起付线以上政策范围内 {_y(eligible)}，" + "，".join(ratio_notes) + f"：统筹支付 {_y(fund)}"
    trace.add("hifp_pay", fund, f"{where}.ratio.{visit.level}", text)
    return deductible, fund, above_cap


# ---------------------------------------------------------------------------------------------
# Later layers


def _civil_servant(
    policy: Policy,
    category: Category,
    person: PersonFacts,
    ledger: Mapping[str, int],
    base: Fen,
    trace: _Trace,
    delta: dict[str, int],
) -> Fen:
    """Civil-servant subsidy (公务员医疗补助) on the personal policy-range burden below the basic cap."""
    layer = policy.cvlserv
    if layer is None or not person.civil_servant or not policy.layer_applies(layer, category):
        return 0
    pay = ratio_of(base, layer.ratio)
    if layer.yearly_cap is not None:
        pay = min(pay, max(0, layer.yearly_cap - ledger.get("cvlserv", 0)))
    if pay:
        delta["cvlserv"] = pay
    trace.add(
        "cvlserv_pay",
        pay,
        "cvlserv.ratio",
        f"公务员医疗补助：个人负担 {_y(base)} × {_pct(layer.ratio)}：{_y(pay)}",
    )
    return pay


def _serious_illness(
    layer: SeriousIllnessLayer,
    person: PersonFacts,
    ledger: Mapping[str, int],
    base_now: Fen,
    trace: _Trace,
    delta: dict[str, int],
) -> Fen:
    """Large-amount / serious-illness payment (大额/大病), tiered on the year's cumulative base."""
    if base_now <= 0:
        return 0
    group, tilt = _best_tilt(layer.group_tilts, person.groups)
    deductible = _round(layer.deductible * tilt.deductible_factor)
    before = ledger.get("hifmi_base", 0)
    delta["hifmi_base"] = base_now
    start = max(0, before - deductible)  # the base above the yearly deductible, on the cumulative scale
    end = max(0, before + base_now - deductible)
    room = None
    if layer.yearly_cap is not None:
        room = Decimal(max(0, layer.yearly_cap - ledger.get("hifmi_paid", 0)))
    slices = _Slices(remaining_cap=room)
    notes = [f"年度起付线 {_y(deductible)}"]
    if group is not None:
        notes.append(
            f"特殊人群 {group} 起付线按 {_pct(tilt.deductible_factor)}、比例 +{_pct(tilt.ratio_add)}"
        )
    bands = [
        Band(upto=tier.upto, ratio_add=min(Decimal(1), tier.ratio + tilt.ratio_add)) for tier in layer.tiers
    ]
    notes += _pay_in_bands(bands, Decimal(0), start, end - start, slices)
    pay = min(_round(slices.paid), base_now)
    if room is not None:
        pay = min(pay, int(room))
    if pay:
        delta["hifmi_paid"] = pay
    base_name = "超基本医保封顶线部分" if layer.base == "over_basic_cap" else "个人负担的政策范围内费用"
    text = f"{base_name} {_y(base_now)}（年度累计 {_y(before + base_now)}），" + "，".join(notes)
    trace.add("hifmi_pay", pay, "hifmi.tiers", text + f"：支付 {_y(pay)}")
    return pay


def _assistance(
    policy: Policy,
    category: Category,
    person: PersonFacts,
    ledger: Mapping[str, int],
    base: Fen,
    trace: _Trace,
    delta: dict[str, int],
) -> Fen:
    """Medical assistance (医疗救助) for the person's most favourable group, within its yearly limit."""
    layer = policy.maf
    if layer is None or not policy.layer_applies(layer, category):
        return 0
    options = [(g, layer.groups[g]) for g in sorted(person.groups) if g in layer.groups]
    if not options:
        return 0
    group, assistance = max(options, key=lambda item: item[1].ratio)
    pay = ratio_of(max(0, base), assistance.ratio)
    notes = f"剩余个人负担 {_y(base)} × {_pct(assistance.ratio)}"
    if assistance.yearly_limit is not None:
        room = max(0, assistance.yearly_limit - ledger.get("maf_paid", 0))
        pay = min(pay, room)
        notes += f"，年度限额剩余 {_y(room)}"
    if pay:
        delta["maf_paid"] = pay
    trace.add("maf_pay", pay, f"maf.groups.{group}", f"医疗救助（{group}）：{notes}：支付 {_y(pay)}")
    return pay


def _account(policy: Policy, person: PersonFacts, allowed: Fen, psn_part: Fen, trace: _Trace) -> Fen:
    """What the personal account (个人账户) pays of the personal part, within its balance and the policy."""
    if policy.account is None or person.account_balance <= 0:
        return 0
    pay = max(0, min(person.account_balance, allowed, psn_part))
    text = (
        f"个人账户余额 {_y(person.account_balance)}，可由账户支付 {_y(max(0, allowed))}：账户支付 {_y(pay)}"
    )
    trace.add("acct_pay", pay, "account", text)
    return pay


@dataclass(frozen=True)
class _Parts:
    medfee: Fen
    fulamt: Fen
    overlmt: Fen
    pre: Fen
    inscp: Fen


def _sum_parts(splits: tuple[LineSplit, ...]) -> _Parts:
    return _Parts(
        medfee=sum(s.amount for s in splits),
        fulamt=sum(s.fulamt_ownpay for s in splits),
        overlmt=sum(s.overlmt_selfpay for s in splits),
        pre=sum(s.preselfpay for s in splits),
        inscp=sum(s.inscp for s in splits),
    )


def _trace_parts(parts: _Parts, count: int, trace: _Trace) -> None:
    trace.add("medfee_sumamt", parts.medfee, "lines", f"医疗费总额 {_y(parts.medfee)}（{count} 条明细）")
    trace.add(
        "fulamt_ownpay_amt",
        parts.fulamt,
        "lines",
        f"全自费（丙类、目录外、未对码、限定支付不符、不予支付）{_y(parts.fulamt)}",
    )
    trace.add("overlmt_selfpay", parts.overlmt, "lines", f"超最高限价自付 {_y(parts.overlmt)}")
    trace.add("preselfpay_amt", parts.pre, "default_selfpay_ratio", f"乙类先行自付 {_y(parts.pre)}")
    trace.add("inscp_scp_amt", parts.inscp, "lines", f"政策范围内费用 {_y(parts.inscp)}")


def settle(
    *,
    policy: Policy,
    person: PersonFacts,
    visit: VisitFacts,
    lines: list[FeeLine],
    ledger: Mapping[str, int],
    use_account: bool = True,
) -> Breakdown:
    """Compute the whole settlement of a bill: every fen assigned to a fund, the account or cash."""
    if not lines:
        raise invalid("NO_LINES", "lines", "没有可结算的费用明细")
    trace = _Trace()
    delta: dict[str, int] = {}
    excluded, review = _exclusion(policy, visit)
    splits = tuple(split_line(line, policy, excluded) for line in lines)
    parts = _sum_parts(splits)
    _trace_parts(parts, len(splits), trace)
    rule = None if excluded is not None else policy.rule_for(visit.med_type)
    if excluded is not None:
        trace.add("hifp_pay", 0, "exclusions", excluded)
    elif rule is None:
        trace.add("hifp_pay", 0, "benefits", f"医疗类别 {visit.med_type} 无统筹基金待遇")
    elif rule.registered_diseases and visit.disease not in person.registered_diseases:
        raise invalid(
            "CHRONIC_NOT_REGISTERED",
            "disease",
            f"字段 disease：病种 {visit.disease!r} 未办理门诊慢特病登记，不能按慢特病结算",
        )

    deductible = hifp = above_cap = cvlserv = hifmi = maf = 0
    funds: list[tuple[str, Fen]] = []
    if rule is not None:
        deductible, hifp, above_cap = _basic_fund(
            policy, rule, person, visit, ledger, parts.inscp, trace, delta
        )
        funds.append((policy.hifp_fund_pay_type, hifp))
        in_range = parts.inscp - hifp  # the personal policy-range burden (deductible + pool_prop_selfpay)
        cvlserv = _civil_servant(policy, rule.category, person, ledger, in_range - above_cap, trace, delta)
        funds.append((CVLSERV_FUND_PAY_TYPE, cvlserv))
        if policy.hifmi is not None and policy.layer_applies(policy.hifmi, rule.category):
            base = above_cap if policy.hifmi.base == "over_basic_cap" else in_range - cvlserv
            hifmi = _serious_illness(policy.hifmi, person, ledger, base, trace, delta)
            funds.append((policy.hifmi.fund_pay_type, hifmi))
        extra = parts.pre if policy.maf is not None and policy.maf.include_preselfpay else 0
        maf = _assistance(
            policy, rule.category, person, ledger, in_range - cvlserv - hifmi + extra, trace, delta
        )
        funds.append((MAF_FUND_PAY_TYPE, maf))

    fund_sum = hifp + cvlserv + hifmi + maf
    psn_part = parts.medfee - fund_sum
    acct = 0
    if use_account and policy.account is not None:
        rules = policy.account
        allowed = (
            (parts.fulamt if rules.pays_fulamt else 0)
            + (parts.overlmt if rules.pays_overlmt else 0)
            + (parts.pre if rules.pays_preselfpay else 0)
            + ((parts.inscp - hifp - cvlserv - hifmi) if rules.pays_inscp else 0)
            - maf
        )
        acct = _account(policy, person, allowed, psn_part, trace)
    cash = psn_part - acct
    trace.add("fund_pay_sumamt", fund_sum, "layers", f"基金支付合计 {_y(fund_sum)}")
    trace.add(
        "psn_cash_pay", cash, "cash", f"个人负担 {_y(psn_part)}，其中个人账户 {_y(acct)}，现金 {_y(cash)}"
    )
    return Breakdown(
        medfee_sumamt=parts.medfee,
        fulamt_ownpay_amt=parts.fulamt,
        overlmt_selfpay=parts.overlmt,
        preselfpay_amt=parts.pre,
        inscp_scp_amt=parts.inscp,
        act_pay_dedc=deductible,
        hifp_pay=hifp,
        pool_prop_selfpay=parts.inscp - deductible - hifp,
        cvlserv_pay=cvlserv,
        hifmi_pay=hifmi,
        maf_pay=maf,
        fund_pay_sumamt=fund_sum,
        psn_part_amt=psn_part,
        acct_pay=acct,
        psn_cash_pay=cash,
        balc=person.account_balance - acct,
        fund_details=tuple((code, amount) for code, amount in funds if amount),
        lines=splits,
        trace=tuple(trace.items),
        ledger_delta=delta,
        review_required=review,
    )


def reverse_delta(delta: Mapping[str, int]) -> dict[str, int]:
    """The ledger change that undoes a settlement exactly (冲正)."""
    return {key: -value for key, value in delta.items()}
