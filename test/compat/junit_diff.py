"""junit_diff.py NATIVE.xml VU.xml -- compare two regrtest --junit-xml runs
test by test: a table per module (passed / failed / errors / skipped,
native and vu) and the tests whose result differs. Exit 1 on a difference."""
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def results(path):
    out = {}
    for tc in ET.parse(path).getroot().iter('testcase'):
        name = tc.get('name')
        kind = 'pass'
        for child in tc:
            if child.tag in ('failure', 'error', 'skipped'):
                kind = {'failure': 'fail', 'error': 'error', 'skipped': 'skip'}[child.tag]
        out[name] = kind
    return out


def module(name):
    parts = name.split('.')
    return parts[1] if len(parts) > 1 and parts[0] == 'test' else parts[0]


def main():
    nat, vu = results(sys.argv[1]), results(sys.argv[2])
    table = defaultdict(lambda: {'native': defaultdict(int), 'vu': defaultdict(int)})
    for side, res in (('native', nat), ('vu', vu)):
        for name, kind in res.items():
            table[module(name)][side][kind] += 1
    print('| module | tests | native pass/fail/error/skip | vu pass/fail/error/skip | differ |')
    print('|---|---|---|---|---|')
    diffs = sorted(n for n in set(nat) | set(vu) if nat.get(n) != vu.get(n))
    per_mod = defaultdict(int)
    for n in diffs:
        per_mod[module(n)] += 1
    tot = {'native': defaultdict(int), 'vu': defaultdict(int)}
    for mod in sorted(table):
        row = table[mod]
        cells = []
        for side in ('native', 'vu'):
            c = row[side]
            cells.append('%d/%d/%d/%d' % (c['pass'], c['fail'], c['error'], c['skip']))
            for k, v in c.items():
                tot[side][k] += v
        n = max(sum(row['native'].values()), sum(row['vu'].values()))
        print('| %s | %d | %s | %s | %d |' % (mod, n, cells[0], cells[1], per_mod[mod]))
    cells = ['%d/%d/%d/%d' % (tot[s]['pass'], tot[s]['fail'], tot[s]['error'], tot[s]['skip'])
             for s in ('native', 'vu')]
    print('| **total** | %d | %s | %s | %d |' % (max(len(nat), len(vu)), cells[0], cells[1], len(diffs)))
    if diffs:
        print()
        print('Tests whose result differs (native -> vu):')
        for n in diffs:
            print('  %s: %s -> %s' % (n, nat.get(n, 'absent'), vu.get(n, 'absent')))
    return 1 if diffs else 0


if __name__ == '__main__':
    sys.exit(main())
