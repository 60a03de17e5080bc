"""Pure collector domain: Kubernetes quantities, cron schedules, instance shapes. No I/O."""
