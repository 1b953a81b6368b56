# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bash completion for exittrace(8)
_exittrace()
{
	local cur prev i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	# after "--" or the command's name: complete the command
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			_command_offset $((i + 1))
			return
		fi
	done
	case $prev in
	-p|--pid)
		COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
		return ;;
	-u|--uid)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	--comm)
		COMPREPLY=($(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" -- "$cur"))
		return ;;
	-o|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--pidns)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--container)
		COMPREPLY=()
		return ;;
	--attach)
		COMPREPLY=($(compgen -W "auto raw_tp tp_btf tracepoint" -- "$cur"))
		return ;;
	--timeout|--ringbuf-size|--max-targets|--coalesce-us|-n|--count)
		COMPREPLY=()
		return ;;
	esac
	COMPREPLY=($(compgen -W "-p --pid -f --follow -T --threads -x --failed --comm -u --uid
		--cgroup --container --pidns --any -n --count --timeout --summary -r --rusage -o --output -j --json --ringbuf-size
		--max-targets --coalesce-us --realtime --attach -v --verbose -h --help -V --version --" -- "$cur"))
}
complete -F _exittrace exittrace
