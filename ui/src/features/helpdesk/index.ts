export { TicketPage } from "./TicketPage";
export { TicketsPage } from "./TicketsPage";
