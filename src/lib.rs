//! bcss-gateway: a stand-in for the Crossroads Bank for Social Security (CBSS) on the
//! flows of the right to social integration. See `ARCHITECTURE.md` for the map.

pub mod admin;
pub mod app;
pub mod certs;
pub mod cli;
pub mod clock;
pub mod control;
pub mod demo;
pub mod domain;
mod files;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod services;
pub mod store;
pub mod tls;
pub mod wire;
pub mod world;
