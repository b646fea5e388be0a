"""The bridge from planning to the outside: plan files, stored plan versions."""
