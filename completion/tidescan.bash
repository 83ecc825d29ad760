# bash completion for tidescan. Generated from src/cli/options.ts by scripts/gen-docs.sh: do not edit.
_tidescan() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    --includefile|--include-file|--excludefile|--exclude-file|--resume|--conf|--config|--output-filename|--output-file|--pcap-filename|--pcap|--hello-file|--hello-filename|--nmap-payloads|--nmap-payload|--pcap-payloads|--pcap-payload|--readscan|--merge|-c|-iL|-oL|-oJ|-oD|-oG|-oX|-oB|-oU|-oH|-oR|-oQ|-oW)
      COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    --rotate-dir|--output-rotate-dir|--rotate-directory)
      COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;
    --adapter|--if|--interface|-e|-i)
      COMPREPLY=( $(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur") ); return 0 ;;
    --seed)
      COMPREPLY=( $(compgen -W "time" -- "$cur") ); return 0 ;;
    --wait)
      COMPREPLY=( $(compgen -W "forever" -- "$cur") ); return 0 ;;
    --tx-backend)
      COMPREPLY=( $(compgen -W "sendmmsg txring" -- "$cur") ); return 0 ;;
    --tx-arbiter)
      COMPREPLY=( $(compgen -W "auto parallel serial" -- "$cur") ); return 0 ;;
    --output-format)
      COMPREPLY=( $(compgen -W "list json ndjson grepable xml binary unicornscan hostonly certs none sqlite postgres" -- "$cur") ); return 0 ;;
    --show|--output-show|--output-status)
      COMPREPLY=( $(compgen -W "open closed all" -- "$cur") ); return 0 ;;
    --noshow|--output-noshow)
      COMPREPLY=( $(compgen -W "open closed all" -- "$cur") ); return 0 ;;
    --rotate|--output-rotate|--rotate-output|--rotate-time)
      COMPREPLY=( $(compgen -W "hourly daily weekly minutely" -- "$cur") ); return 0 ;;
    --readscan-numbering)
      COMPREPLY=( $(compgen -W "head 1.3.2" -- "$cur") ); return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "--range --ranges --ip --ipv4 --dst-ip --dest-ip --destination-ip --target-ip --includefile --include-file --exclude --exclude-range --exclude-ranges --exclude-ip --exclude-ipv4 --excludefile --exclude-file --ports --port --dst-port --dest-port --destination-port --target-port --tcp-ports --tcp-port --udp-ports --udp-port --oproto --oprotos --exclude-ports --exclude-port --top-ports --top-port --ping --ping-sweep --arpscan --arp --rate --max-rate --seed --shard --shards --resume-index --resume-count --retries --retry --max-retries --max-retry --blackrock-rounds --infinite --wait --tx-threads --randomize-hosts --resume --conf --config --no-default-config --adapter --if --interface --adapter-ip --source-ip --source-address --spoof-ip --spoof-address --src-ip --adapter-port --source-port --src-port --sourceport --adapter-mac --spoof-mac --source-mac --src-mac --router-mac --router --dest-mac --destination-mac --dst-mac --target-mac --router-mac-ipv4 --router-ipv4 --router-mac-ipv6 --router-ipv6 --router-ip --vlan --adapter-vlan --ttl --offline --notransmit --nosend --dry-run --tx-backend --tx-arbiter --bpf --pfring --sendq --output-format --output-filename --output-file --store-resume --output-append --append-output --open --open-only --output-show-open --show --output-show --output-status --noshow --output-noshow --interactive --nointeractive --status --nostatus --ndjson-status --status-ndjson --json-status --status-json --rotate --output-rotate --rotate-output --rotate-time --rotate-offset --output-rotate-offset --rotate-size --rotate-filesize --output-rotate-filesize --rotate-dir --output-rotate-dir --rotate-directory --stylesheet --webxml --no-stylesheet --pcap-filename --pcap --packet-trace --trace-packet --reason --verbosity --debug-level --banners --banner --nobanners --nobanner --rawudp --connection-timeout --tcp-timeout --hello-timeout --hello --hello-string --hello-file --hello-filename --http-user-agent --http-useragent --http-host --http-method --http-url --http-uri --http-version --http-header --http-field --http-cookie --http-payload --http-field-remove --capture --nocapture --no-capture --heartbleed --ticketbleed --vuln --banner-types --banner-type --banner-apps --banner-app --readscan-numbering --tls-sni --no-identify --no-firewall --noreset --nmap-payloads --nmap-payload --pcap-payloads --pcap-payload --ntp-probe --tcp-mss --tcpmss --tcp-wscale --tcp-tsecho --tcp-sackok --min-packet --min-pkt --badsum --data-length --echo --echo-all --echo-cidr --list-scan --readscan --report --merge --k8s-job --k8s-image --k8s-namespace --k8s-secret --k8s-pvc --readrange --readranges --read-range --read-ranges --selftest --self-test --regress --benchmark --iflist --nmap --version --help --send-eth --release-memory --nobacktrace --backtrace -p -e -i -g -S -c -iL -sS -sU -sZ -sL -v -h -V -W -oL -oJ -oD -oG -oX -oB -oU -oH -oR -oQ -oW -6 -n -Pn -sY" -- "$cur") )
  fi
  return 0
}
complete -o default -F _tidescan tidescan
