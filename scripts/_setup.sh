# Shared set-up for scripts/test.sh and scripts/demo.sh (sourced, not run).
# Installs, only when missing, the Debian packages headless Qt/napari needs, then a
# virtual environment in .venv with the package and the extras named in $EXTRAS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# needed: headless Qt/napari under Xvfb
SYSTEM_PACKAGES=(
  xvfb xauth libgl1 libegl1 libgl1-mesa-dri libglib2.0-0 libfontconfig1 libdbus-1-3
  libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0
  libopengl0 libx11-xcb1 libxcb-xkb1 libxcb-sync1 libxcb-shm0 libxcb-util1 libxrender1
  libxi6 libsm6 libice6 libfreetype6
)
# outside references for tests (each test skips with the reason when its tool is absent,
# and fails under RECIST_REQUIRE_SHARED=1, which .ci/run sets):
# pdftoppm, dciodvfy, dcm2niix, an Orthanc DICOMweb server, node + npm (OHIF SR harness)
REFERENCE_PACKAGES=(poppler-utils dicom3tools dcm2niix orthanc orthanc-dicomweb nodejs npm)
# needed: the review store's tests run on a private PostgreSQL cluster (initdb + pg_ctl
# from Debian's server binaries) and the dashboard's in headless Chromium (chromedriver)
REVIEW_PACKAGES=(postgresql chromium chromium-driver)

missing_of() {
  for pkg in "$@"; do
    # a machine may bring Node.js from elsewhere (e.g. nodesource's nodejs, which
    # carries npm and conflicts with Debian's npm package): a working command will do
    case "$pkg" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
mapfile -t missing < <(missing_of "${SYSTEM_PACKAGES[@]}")
mapfile -t optional < <(missing_of "${REFERENCE_PACKAGES[@]}")
mapfile -t review < <(missing_of "${REVIEW_PACKAGES[@]}")
if ((${#missing[@]} + ${#optional[@]} + ${#review[@]})); then
  $sudo apt-get update -qq
fi
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ((${#review[@]})); then
  echo "installing review packages: ${review[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${review[@]}" >/dev/null
  # the tests start their own cluster on a free port; stop a system one if it started
  { command -v pg_ctlcluster >/dev/null && for c in /etc/postgresql/*/main; do
      [ -d "$c" ] && $sudo pg_ctlcluster "$(basename "$(dirname "$c")")" main stop; done; } >/dev/null 2>&1 || true
fi
if ((${#optional[@]})); then
  echo "installing reference tools: ${optional[*]}"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null; then
    # CI (.ci/run sets RECIST_REQUIRE_SHARED=1) needs them: their tests must run
    if [ "${RECIST_REQUIRE_SHARED:-0}" != 0 ]; then
      echo "error: could not install ${optional[*]} (RECIST_REQUIRE_SHARED=1)" >&2
      exit 1
    fi
    echo "warning: could not install ${optional[*]}; the tests that need them will skip"
  fi
  # the tests start their own Orthanc on a free loopback port; stop a system one if it started
  { command -v service >/dev/null && $sudo service orthanc stop; } >/dev/null 2>&1 || true
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[${EXTRAS}]"
