//! The one integration test binary (one link step on a 2-core machine).

mod corpus;
mod differential;

mod churn;
mod cli;
mod docker;
mod dockercmd;
mod harness;
mod leases;
mod machine;
mod proxy;
mod repository;
mod repoux;
mod routes;
