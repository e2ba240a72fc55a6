//! The one integration test binary (one link step on a 2-core machine).

mod corpus;
mod differential;

mod churn;
mod cli;
mod daemons;
mod docker;
mod dockercmd;
mod doctor;
mod files;
mod gate;
mod harness;
mod leases;
mod machine;
mod proxy;
mod repository;
mod repoux;
mod routes;
mod routeserver;
mod tenancy;
