/**
 * application/x-www-form-urlencoded encoding of one value (space as `+`), as RFC 6749 Appendix B
 * requires for form bodies and for the client id and secret before HTTP Basic.
 */
export const formEncode = (value: string): string => new URLSearchParams([["", value]]).toString().slice(1)
