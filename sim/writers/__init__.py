"""Results folders: each writer turns an experiment's result into files, charts and a report."""
