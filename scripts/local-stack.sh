# shellcheck shell=bash
# The local stack's Pulumi settings, shared by try.sh and try-down.sh (source after lib.sh).
# State stays in the repo's git-ignored .local/; the passphrase only guards this throwaway
# stack's kubeconfig output, which points at a cluster that lives on loopback.
LOCAL_STATE="$REPO_ROOT/.local/state"
LOCAL_BACKEND="file://$LOCAL_STATE"
LOCAL_PASSPHRASE="spark-local"

pulumi() {
  PATH="$TOOLS_BIN:$PATH" PULUMI_BACKEND_URL="$LOCAL_BACKEND" PULUMI_CONFIG_PASSPHRASE="$LOCAL_PASSPHRASE" \
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true \
    "$TOOLS_BIN/pulumi" --cwd "$REPO_ROOT" --non-interactive "$@"
}

# select_local_stack: the `local` stack in the local backend, created on first use.
select_local_stack() {
  mkdir -p "$LOCAL_STATE"
  if ! pulumi stack select local >/dev/null 2>&1; then
    pulumi stack init local --secrets-provider passphrase
  fi
}
