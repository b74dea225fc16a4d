#!/usr/bin/env bash
# The review of a pull or merge request: `sg-webhooks check` and `sg-webhooks diff` on every
# Pulumi.<stack>.yaml, written as one Markdown comment to review/comment.md. It needs no credential
# and no network: it reads the checkout and, for the base side of the diff, its git history.
#
#   bash ci/review.sh BASE   # BASE: the commit the change merges into (a SHA or any git ref)
#
# Exit 0 when every file passes check, 1 when check found a problem (after writing the comment, which
# says what it is), 2 when there is nothing to review. A diff that cannot be made (the base's own
# problems, which this change may be fixing) is said in the comment and does not fail the review.
set -uo pipefail

base="${1:?usage: bash ci/review.sh BASE (the commit the change merges into)}"
# The package's own sg-webhooks (npm ci installed it), never one npx would fetch by name.
PATH="$PWD/node_modules/.bin:$PATH"
out=review
mkdir -p "$out"

shopt -s nullglob
files=(Pulumi.*.yaml)
if [ "${#files[@]}" -eq 0 ]; then
  echo "ci/review.sh: no Pulumi.<stack>.yaml in $PWD: run it from the repository's root" >&2
  exit 2
fi
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "ci/review.sh: $base is not a commit of this clone: fetch it (a deeper clone) first" >&2
  exit 2
fi

# check first, every file: the comment opens with its verdict.
declare -A refused=()
passed=""
for file in "${files[@]}"; do
  if sg-webhooks check "$file" >"$out/check-$file.txt" 2>&1; then
    passed+="${passed:+, }\`$file\`"
  else
    refused[$file]=1
  fi
done

{
  echo "## Webhook review"
  echo
  if [ -n "$passed" ]; then echo "\`sg-webhooks check\`: no problems in $passed."; fi
  for file in "${files[@]}"; do
    if [ -n "${refused[$file]:-}" ]; then
      echo
      echo "### \`$file\`"
      echo
      echo "\`sg-webhooks check\` found problems; \`pulumi up\` would stop on them:"
      echo
      echo '~~~text'
      cat "$out/check-$file.txt"
      echo '~~~'
      echo
      echo "The change is described once check passes."
    elif ! git cat-file -e "$base:$file" 2>/dev/null; then
      echo
      echo "### \`$file\`"
      echo
      echo "A new stack file: every receiver and hook it declares will be created."
    else
      # diff ends with 0 once it has described the change (its Markdown opens with a heading that
      # names the file), 1 when a side has problems (the base's, since check passed the head), 2
      # when it could not read one.
      sg-webhooks diff --base-ref "$base" --head "$file" --format markdown >"$out/diff.md" 2>"$out/diff.txt"
      status=$?
      echo
      if [ "$status" -eq 0 ]; then
        cat "$out/diff.md"
      else
        echo "### \`$file\`"
        echo
        echo "\`sg-webhooks diff\` could not compare it with \`${base:0:12}\` (exit $status):"
        echo
        echo '~~~text'
        cat "$out/diff.txt"
        echo '~~~'
      fi
    fi
  done
} >"$out/comment.md"

cat "$out/comment.md"
if [ "${#refused[@]}" -gt 0 ]; then exit 1; fi
