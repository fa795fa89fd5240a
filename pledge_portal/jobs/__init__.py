"""Background job state: every long task records its progress in a ``TaskRun`` that pages can show."""
