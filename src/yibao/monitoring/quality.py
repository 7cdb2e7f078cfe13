"""Quality on labelled data: precision/recall per family of findings against the generator's labels.

labels.parquet (in the data set folder): rule_family, scope (line/visit/person/doctor/institution),
bkkp_sn, mdtrt_id, psn_no, fixmedins_code, dr_code, detail. A label and a finding of one family are
compared at the coarser of their scopes: a line is lifted to its visit (through fee_list_d), a visit
to its person and institution (through mdtrt_d), so a line-level label meets a visit-level finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yibao.domain.errors import invalid
from yibao.domain.monitoring import STATISTICAL_FAMILIES, Quality, auc, precision_recall
from yibao.monitoring.batch import open_data_set

_RANK = {"line": 0, "visit": 1, "person": 2, "doctor": 2, "institution": 3}
_KEY = {
    "line": "bkkp_sn",
    "visit": "mdtrt_id",
    "person": "psn_no",
    "doctor": "dr_code",
    "institution": "fixmedins_code",
}
LABEL_COLUMNS = ("rule_family", "scope", "bkkp_sn", "mdtrt_id", "psn_no", "fixmedins_code", "dr_code")


def _source(path: Path, fmt: str) -> str:
    return f"read_parquet('{path}')" if fmt == "parquet" else f"read_csv('{path}', all_varchar = true)"


def _lifted(con: Any, relation: str) -> list[dict[str, Any]]:
    """Rows of `relation` with visit, person and institution filled from the data set's tables."""
    cursor = con.execute(
        f"""SELECT r.rule_family, r.scope, r.bkkp_sn,
  COALESCE(r.mdtrt_id, f.mdtrt_id) AS mdtrt_id,
  COALESCE(r.psn_no, f.psn_no, v.psn_no) AS psn_no,
  COALESCE(r.fixmedins_code, f.fixmedins_code, v.fixmedins_code) AS fixmedins_code,
  COALESCE(r.dr_code, f.dr_code) AS dr_code
FROM {relation} r
LEFT JOIN fee_map f ON f.bkkp_sn = r.bkkp_sn
LEFT JOIN visit_map v ON v.mdtrt_id = COALESCE(r.mdtrt_id, f.mdtrt_id)"""
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def evaluate_files(data_dir: Path, findings_dir: Path) -> list[Quality]:
    """Compare findings.parquet of `findings_dir` with labels.parquet of `data_dir`, family by family."""
    import duckdb

    labels_path = data_dir / "labels.parquet"
    findings_path = findings_dir / "findings.parquet"
    for path, field in ((labels_path, "data"), (findings_path, "findings")):
        if not path.exists():
            raise invalid("EVAL_FILE_MISSING", field, f"缺少文件 {path}")
    data = open_data_set(data_dir)
    con = duckdb.connect()
    try:
        present = {
            d[0] for d in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{labels_path}')").fetchall()
        }
        for column in LABEL_COLUMNS:
            if column not in present:
                raise invalid(
                    "DATA_COLUMN_MISSING", f"labels.{column}", f"文件 labels.parquet 缺少必需列 {column}"
                )
        fee_path, fee_fmt = data.files["fee_list_d"]
        visit_path, visit_fmt = data.files["mdtrt_d"]
        text = "NULLIF(CAST({} AS VARCHAR), '')"
        con.execute(
            f"CREATE TABLE labels AS SELECT {', '.join(f'{text.format(c)} AS {c}' for c in LABEL_COLUMNS)} "
            f"FROM read_parquet('{labels_path}')"
        )
        con.execute(f"CREATE TABLE findings AS SELECT * FROM read_parquet('{findings_path}')")
        con.execute(
            f"""CREATE TABLE fee_map AS SELECT CAST(f.bkkp_sn AS VARCHAR) AS bkkp_sn,
   CAST(f.mdtrt_id AS VARCHAR) AS mdtrt_id,
  CAST(f.psn_no AS VARCHAR) AS psn_no, CAST(f.fixmedins_code AS VARCHAR) AS fixmedins_code,
  CAST(f.bilg_dr_code AS VARCHAR) AS dr_code
FROM {_source(fee_path, fee_fmt)} f
WHERE CAST(f.bkkp_sn AS VARCHAR) IN (SELECT bkkp_sn FROM labels UNION SELECT bkkp_sn FROM findings)"""
        )
        con.execute(
            f"""CREATE TABLE visit_map AS SELECT CAST(mdtrt_id AS VARCHAR) AS mdtrt_id,
   CAST(psn_no AS VARCHAR) AS psn_no,
  CAST(fixmedins_code AS VARCHAR) AS fixmedins_code FROM {_source(visit_path, visit_fmt)}"""
        )
        label_rows = _lifted(con, "labels")
        finding_rows = _lifted(con, "findings")
        scores_path = findings_dir / "outlier_scores.parquet"
        scores: dict[str, float] = {}
        if scores_path.exists():
            scores = {
                code: float(score)
                for code, score in con.execute(
                    f"SELECT fixmedins_code, score FROM read_parquet('{scores_path}')"
                ).fetchall()
            }
    finally:
        con.close()
    families = sorted({r["rule_family"] for r in label_rows} | {r["rule_family"] for r in finding_rows})
    result = []
    for family in families:
        mine = [r for r in label_rows if r["rule_family"] == family]
        theirs = [r for r in finding_rows if r["rule_family"] == family]
        scope = max(
            (r["scope"] for r in mine + theirs if r["scope"] in _RANK), key=_RANK.__getitem__, default="line"
        )
        key = _KEY[scope]
        labelled = {str(r[key]) for r in mine if r[key] is not None}
        found = {str(r[key]) for r in theirs if r[key] is not None}
        quality = precision_recall(family, labelled, found)
        if family in STATISTICAL_FAMILIES and scores:
            everyone = dict(scores)
            floor = min(everyone.values()) - 1
            for code in labelled:
                everyone.setdefault(code, floor)
            quality = Quality(
                family, quality.labelled, quality.found, quality.true_positive, auc(everyone, labelled)
            )
        result.append(quality)
    return result
