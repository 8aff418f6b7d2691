#!/usr/bin/env python3
"""Prints the tables of BENCHMARKS.md from the files bench/run writes.

    bench/table.py target/bench/results.tsv target/bench/other.tsv
"""
import csv
import sys

rows=list(csv.DictReader(open(sys.argv[1]),delimiter='\t'))
other={}
for line in open(sys.argv[2]):
    b,sz,k,v=line.rstrip('\n').split('\t'); other[(b,sz,k)]=v
for backend in ['sqlite','postgres']:
    rs=[r for r in rows if r['backend']==backend]
    if not rs: continue
    print(f"\n{ {'sqlite':'SQLite','postgres':'PostgreSQL'}[backend] }:\n")
    print("| requests | endpoint | req/s | p50 ms | p99 ms | req/s ÷ ceiling | p99 ÷ ceiling | p99 ÷ p99 at 10 k |")
    print("|---|---|---|---|---|---|---|---|")
    ceil={r['size']:r for r in rs if r['endpoint']=='ceiling'}
    p99={(r['size'],r['endpoint']):float(r['p99_ms']) for r in rs}
    for r in rs:
        c=ceil.get(r['size'])
        rc="%.2f"%(float(r['rps'])/float(c['rps'])) if c else ''
        pc="%.1f"%(float(r['p99_ms'])/float(c['p99_ms'])) if c else ''
        ratio=''
        if r['size']!='10000' and ('10000',r['endpoint']) in p99:
            ratio="%.2f"%(float(r['p99_ms'])/p99[('10000',r['endpoint'])])
        bad='' if r['non_2xx']=='0' else f" ({r['non_2xx']} failed)"
        print(f"| {int(r['size']):,} | {r['endpoint']}{bad} | {float(r['rps']):,.0f} | {float(r['p50_ms']):.1f} | {float(r['p99_ms']):.1f} | {rc} | {pc} | {ratio} |")
    print()
    for sz in sorted({r['size'] for r in rs}, key=int):
        g=lambda k: other.get((backend,sz,k),'—')
        print(f"- {int(sz):,} requests: `serve` peak RSS {int(g('rss_peak_kib'))//1024 if g('rss_peak_kib')!='—' else '—'} MiB; `worker` peak RSS {int(g('worker_rss_peak_kib'))//1024 if g('worker_rss_peak_kib')!='—' else '—'} MiB; e-mail: {g('mails_delivered')} notification mails delivered at **{g('mails_per_second')} mails/s**.")
    # The burst stage: the same figures with and without the portal's own work running.
    burst=[sz for sz in sorted({r['size'] for r in rs}, key=int) if (sz,'create_submit_during_burst') in p99]
    if burst:
        print("\nWhile the portal works off a burst of automatic ends (`bench/run`'s burst stage):\n")
        print("| requests | endpoint | req/s without → during the burst | p99 ms without → during | req/s kept | p99 ratio |")
        print("|---|---|---|---|---|---|")
        rps={(r['size'],r['endpoint']):float(r['rps']) for r in rs}
        for sz in burst:
            for e in ['create_submit','mfa_all_queue']:
                if (sz,e+'_during_burst') not in rps: continue
                before=e+'_before_burst' if (sz,e+'_before_burst') in rps else e
                a,b=rps[(sz,before)],rps[(sz,e+'_during_burst')]
                pa,pb=p99[(sz,before)],p99[(sz,e+'_during_burst')]
                print(f"| {int(sz):,} | {e} | {a:,.0f} → {b:,.0f} | {pa:.1f} → {pb:.1f} | {100*b/a:.0f} % | {pb/pa:.2f}× |")
        print()
        for sz in burst:
            g=lambda k: other.get((backend,sz,k),'—')
            print(f"- {int(sz):,} requests: {g('burst_steps')} automatic ends worked off in **{g('burst_seconds')} s** ({g('burst_left_after_measuring')} still due when the measurements during the burst ended).")
