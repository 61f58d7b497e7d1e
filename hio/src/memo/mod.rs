//! Memograms: HIO's segmentation protocol for datagram transports.
