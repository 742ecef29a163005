#!/usr/bin/env bash
# The demo: install into .venv, generate the sample study, read it (one seed point per lesion
# and visit -> segmentation -> measurement in mm), assess it with the RECIST 1.1 engine, and
# show it in the viewer. With a display the viewer opens; without one (or with CI set) the
# study listing and the assessment are printed and a screenshot of the viewer, rendered on a
# virtual display, is saved. Output goes to ${1:-demo-output}/.
EXTRAS="all"
source "$(dirname "$0")/_setup.sh"
OUT=${1:-demo-output}
STUDY="$OUT/study"
mkdir -p "$OUT"
R=.venv/bin/recist

echo "== generating the sample study (4 visits, synthetic CT) into $STUDY"
.venv/bin/python -m sample_dicom "$STUDY"

echo; echo "== the study as recist sees it"
$R info "$STUDY"

echo; echo "== reading it: one seed point per lesion and visit -> segment -> measure"
$R autoread "$STUDY" --seeds "$STUDY/seeds.json" --out "$OUT/reading.json" --reader demo

echo; echo "== the assessment, with the rule and the numbers behind every response"
$R assess "$OUT/reading.json"

echo; echo "== the generator's truth, for comparison"
$R assess "$STUDY/truth.case.json"

if $R --help | grep -q " report "; then
  echo; echo "== central review report"
  $R report "$OUT/reading.json" --images "$STUDY" --pdf "$OUT/report.pdf" --html "$OUT/report.html"
fi

echo; echo "== lesion propagation: the baseline's lesions found again in a follow-up where the"
echo "   patient lies rotated, shifted and breathing (the tracking study; one lesion vanished)"
.venv/bin/python -m sample_dicom --tracking "$OUT/tracking"
$R autoread "$OUT/tracking" --seeds "$OUT/tracking/seeds.json" --out "$OUT/tracking-baseline.json" --reader demo
$R propagate "$OUT/tracking-baseline.json" --images "$OUT/tracking" --timepoint 2026-02-16 \
  --out "$OUT/tracking-proposed.json"
echo "(open it: $R view $OUT/tracking --reading $OUT/tracking-proposed.json --timepoint 2026-02-16;"
echo " pick a proposal, A records it, R rejects it)"

LAST=$(ls "$STUDY" | grep -E '^[0-9]{8}_' | sort | tail -1 | cut -c1-8)
LAST="${LAST:0:4}-${LAST:4:2}-${LAST:6:2}"
if [ -n "${DISPLAY:-}" ] && [ -z "${CI:-}" ]; then
  echo; echo "== opening the viewer"
  exec $R view "$STUDY" --reading "$OUT/reading.json" --timepoint "$LAST"
else
  echo; echo "== no display: rendering the viewer at $LAST on a virtual display"
  $R view "$STUDY" --reading "$OUT/reading.json" --timepoint "$LAST" --screenshot "$OUT/viewer.png"
  echo "saved $OUT/viewer.png"
fi
