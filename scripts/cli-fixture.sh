# Sourced by the command-line benchmarks: writes into "$work" a trademark right's file
# (acme.toml) with its two documents, and defines `approved_right CLI`, which registers it
# in the database ALIPROTECT_DB names, has it approved, and prints its id.
printf '%%PDF certificate' > "$work/certificate.pdf"
printf '%%PDF articles' > "$work/articles.pdf"
cat > "$work/acme.toml" <<'END'
kind = "trademark"
[holder]
name = "Acme Audio Ltd"
kind = "company"
[registration]
mark_name = "ACME SOUND"
mark_type = "combined"
registration_number = "CN-41234567"
jurisdiction = "CN"
classes = [9]
registered_on = 2021-06-01
expires_on = 2031-05-31
[[evidence]]
kind = "trademark-certificate"
file = "certificate.pdf"
[[evidence]]
kind = "articles-of-incorporation"
file = "articles.pdf"
END

approved_right() {
  local cli=$1 right
  "$cli" init 2>/dev/null
  right=$("$cli" right register "$work/acme.toml" -q)
  "$cli" right submit "$right" -q >/dev/null
  "$cli" right review "$right" --approve -q >/dev/null
  echo "$right"
}
