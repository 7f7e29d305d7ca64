"""The SDCA optimizer of the linear Estimators, laid out as `tensorflow_estimator/.../canned/linear_optimizer/`:
`python/utils/sdca_ops.py` (the solver, `_SDCAModel`) and `python/utils/sharded_mutable_dense_hashtable.py`
(its per-example state table). `LinearSDCA`, the public face, is in `canned/linear.py` as in the real one."""
