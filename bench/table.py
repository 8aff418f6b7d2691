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
        c=ceil[r['size']]
        ratio=''
        if r['size']!='10000' and ('10000',r['endpoint']) in p99:
            ratio="%.2f"%(float(r['p99_ms'])/p99[('10000',r['endpoint'])])
        bad='' if r['non_2xx']=='0' else f" ({r['non_2xx']} failed)"
        print(f"| {int(r['size']):,} | {r['endpoint']}{bad} | {float(r['rps']):,.0f} | {float(r['p50_ms']):.1f} | {float(r['p99_ms']):.1f} | {float(r['rps'])/float(c['rps']):.2f} | {float(r['p99_ms'])/float(c['p99_ms']):.1f} | {ratio} |")
    print()
    for sz in sorted({r['size'] for r in rs}, key=int):
        g=lambda k: other.get((backend,sz,k),'—')
        print(f"- {int(sz):,} requests: `serve` peak RSS {int(g('rss_peak_kib'))//1024 if g('rss_peak_kib')!='—' else '—'} MiB; `worker` peak RSS {int(g('worker_rss_peak_kib'))//1024 if g('worker_rss_peak_kib')!='—' else '—'} MiB; e-mail: {g('mails_delivered')} notification mails delivered at **{g('mails_per_second')} mails/s**.")
