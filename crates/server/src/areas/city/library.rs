//! One-click library borrowing's use cases (being built).
