# bash completion for phikit's programs: options as each program's -h
# lists them (so they cannot drift from it), hitl's and ledger-admin's
# commands, hitl's --status values, files elsewhere.
# Installed as share/bash-completion/completions/<program>.
_phikit()
{
	local prog=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD-1]} words
	case $prog in
	hitl | ledger-admin)
		if [ "$COMP_CWORD" -eq 1 ]; then
			words=$("${COMP_WORDS[0]}" -h 2>/dev/null |
				sed -n "s/^\(usage:\)\{0,1\} *$prog \([a-z][a-z-]*\).*/\2/p" | sort -u)
			mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
			return
		fi
		;;
	esac
	case $prev in
	--status)
		mapfile -t COMPREPLY < <(compgen -W "pending escalated approved rejected expired released" -- "$cur")
		return ;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "json jsonl otlp hec html" -- "$cur")
		return ;;
	-m | --mode)
		mapfile -t COMPREPLY < <(compgen -W "tag mask pseudonym" -- "$cur")
		return ;;
	esac
	if [[ $cur == -* ]]; then
		words=$("${COMP_WORDS[0]}" -h 2>/dev/null | grep -oE -- '(^|[[ |])--?[A-Za-z][A-Za-z-]*' |
			sed 's/^[[ |]//' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -o filenames -F _phikit phi-scrub phi-restore guard-check ledger-append ledger-verify \
	ledger-admin trace-export hitl llm-call
