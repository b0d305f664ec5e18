import json,sys,math,statistics as st
# usage: sum.py dir [seqdir]
d=sys.argv[1]; seqd=sys.argv[2] if len(sys.argv)>2 else d
def load(dd):
    R={}
    import glob
    for f in glob.glob(dd+'/quality-*.jsonl'):
        for l in open(f):
            r=json.loads(l)
            if r['kind']!='run': continue
            R[(r['function'],r['mode'],r['seed'])]=r['regret_final']
    return R
R=load(d); S=load(seqd)
fns=sorted({k[0] for k in R})
for fn in fns:
    seq=[v for k,v in S.items() if k[0]==fn and k[1]=='seq']
    line=f"{fn:12s} seq n={len(seq)} med={st.median(seq) if seq else float('nan'):.3g} ml={st.mean(math.log10(max(v,1e-12)) for v in seq) if seq else 0:.2f}"
    for m in ['b4','a4']:
        xs=[v for k,v in R.items() if k[0]==fn and k[1]==m]
        if xs and seq: line+=f" | {m} n={len(xs)} med={st.median(xs):.3g} ratio={st.median(xs)/st.median(seq):.2f} ml={st.mean(math.log10(max(v,1e-12)) for v in xs):.2f}"
    print(line)
