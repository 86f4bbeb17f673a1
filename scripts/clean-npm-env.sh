# Sourced by the CI scripts. Run through pnpm, npm and npx would inherit pnpm's settings as
# npm_config_* variables and warn about each one; these wrappers run them without.
pnpm_settings=()
while IFS= read -r name; do pnpm_settings+=(-u "$name"); done < <(env | grep -o '^npm_config_[^=]*' || true)
npm() { env "${pnpm_settings[@]}" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false npm "$@"; }
npx() { env "${pnpm_settings[@]}" npm_config_update_notifier=false npx "$@"; }
