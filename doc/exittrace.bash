# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bash completion for exittrace(8)
_exittrace()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-p|--pid)
		COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
		return ;;
	--timeout|--ringbuf-size)
		COMPREPLY=()
		return ;;
	esac
	COMPREPLY=($(compgen -W "-p --pid -T --threads -x --failed -j --json --timeout
		--ringbuf-size -v --verbose -h --help -V --version" -- "$cur"))
}
complete -F _exittrace exittrace
