//! trackc-codegen: load → resolve → lint → emit / diff / validate.
