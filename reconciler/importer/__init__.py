"""Import: a desired state written from what already runs (`reconcile import`)."""
