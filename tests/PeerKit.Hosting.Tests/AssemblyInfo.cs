// The meter and the activity source are process-wide: tests that count measurements run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
