#!/usr/bin/env bash
# Real `pulumi up` for one stack, with the policy pack enforced. Needs the Pulumi CLI and AWS
# credentials; without them it says what is missing and points at the offline equivalent.
set -euo pipefail

usage() {
    echo "usage: $0 staging|prod" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
STACK="$1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ ! -f "$ROOT/Pulumi.$STACK.yaml" ]]; then
    known="$(cd "$ROOT" && ls Pulumi.*.yaml 2>/dev/null | sed -e 's/^Pulumi\.//' -e 's/\.yaml$//' | tr '\n' ' ')"
    echo "error: unknown stack '$STACK' (no Pulumi.$STACK.yaml); known stacks: ${known:-none}" >&2
    exit 2
fi

missing=()
if ! command -v pulumi >/dev/null 2>&1; then
    missing+=("the Pulumi CLI (https://www.pulumi.com/docs/install/) on PATH")
fi
has_aws_credentials() {
    [[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]] && return 0
    [[ -n "${AWS_PROFILE:-}" || -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ]] && return 0
    [[ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]] && return 0
    [[ -f "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" ]] && return 0
    [[ -f "${AWS_CONFIG_FILE:-$HOME/.aws/config}" ]] && grep -q "sso_\|credential_process\|role_arn" "${AWS_CONFIG_FILE:-$HOME/.aws/config}" && return 0
    return 1
}
if ! has_aws_credentials; then
    missing+=("AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity or ~/.aws/credentials)")
fi

if [[ ${#missing[@]} -gt 0 ]]; then
    echo "cannot run 'pulumi up --stack $STACK': missing" >&2
    for item in "${missing[@]}"; do
        echo "  - $item" >&2
    done
    echo "The offline equivalent needs neither: 'make preview' (plans, policy, parity, HTML report)." >&2
    exit 2
fi

cd "$ROOT"
# The program imports the repo's packages (infra, stacks); run it from the project's venv.
export PATH="$ROOT/.venv/bin:$PATH"
exec pulumi up --stack "$STACK" --policy-pack "$ROOT/policies"
