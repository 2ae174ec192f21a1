# The command line of a bash script that takes only on/off switches (sourced, not run): cluster/up.sh, cluster/down.sh,
# scripts/images/standins.sh.
#
# parse_switches NAME HEADER_END VARIABLE=--SWITCH... -- "$@"
#   -h/--help prints the calling script's header comment (lines 2 to HEADER_END of $0, without the "# ") and exits 0;
#   each --SWITCH given sets its VARIABLE to 1 (every VARIABLE starts empty); any other argument: "NAME: unknown argument",
#   the header on stderr, exit 2.
# Example: parse_switches down.sh 7 purge=--purge -- "$@"   # then [[ -n "$purge" ]]

parse_switches() {
  local switches_name="$1" switches_header_end="$2" switches_spec switches_arg switches_variable
  shift 2
  local -A switches_variables=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do
    switches_spec="$1"
    switches_variables["${switches_spec#*=}"]="${switches_spec%%=*}"
    printf -v "${switches_spec%%=*}" '%s' ''
    shift
  done
  shift
  for switches_arg in "$@"; do
    case "$switches_arg" in
      -h | --help) switches_usage "$switches_header_end"; exit 0 ;;
      *)
        switches_variable=""
        [[ -z "$switches_arg" ]] || switches_variable="${switches_variables[$switches_arg]:-}"
        if [[ -z "$switches_variable" ]]; then
          echo "$switches_name: unknown argument '$switches_arg'" >&2
          switches_usage "$switches_header_end" >&2
          exit 2
        fi
        printf -v "$switches_variable" '%s' 1
        ;;
    esac
  done
}

switches_usage() { sed -n "2,${1}p" "$0" | sed 's/^# \{0,1\}//'; }
