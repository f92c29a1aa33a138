"""Linear-probe classifier fixture: scikit-learn's multinomial L2 logistic regression on a small seeded problem,
for tests/test_metrics.c (ganc_logreg_fit must reach the same optimum). Needs python3-sklearn.
Usage: /usr/bin/python3 scripts/gen_probe_fixtures.py [DIR]"""
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import save_st  # noqa: E402


def main(out):
    rng = np.random.default_rng(7)
    k, d, per = 3, 6, 30
    centres = rng.normal(0, 1.5, (k, d))
    x = np.concatenate([centres[c] + rng.normal(0, 1, (per, d)) for c in range(k)]).astype(np.float32)
    y = np.repeat(np.arange(k), per).astype(np.int64)
    res = {"x": x, "y": y}
    for tag, C in (("c05", 0.5), ("c001", 0.01)):
        m = LogisticRegression(C=C, multi_class="multinomial", solver="lbfgs", tol=1e-12, max_iter=100000)
        m.fit(x.astype(np.float64), y)
        res[f"{tag}_coef"] = m.coef_.astype(np.float32)
        res[f"{tag}_intercept"] = m.intercept_.astype(np.float32)
        res[f"{tag}_acc"] = np.array([m.score(x, y)], dtype=np.float32)
    save_st(os.path.join(out, "logreg_fixture.safetensors"), res)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
